import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromMatrixHtml, matrixMentions } from "../../src/formatting/matrix-html.ts";
import { type RemoteUserId, remoteUserId, type UserId } from "../../src/ids.ts";
import type { RichText } from "../../src/rich-text.ts";
import { plainText } from "../../src/rich-text.ts";

const alice = "@alice:example.org" as UserId;
const mentions = new Map<UserId, { user: RemoteUserId; name: string }>([
  [alice, { user: remoteUserId("alice_"), name: "Alice <A>" }],
]);
const read = (html: string): RichText => fromMatrixHtml(html, mentions);
const text = (value: string) => ({ type: "text", text: value }) as const;

describe("fromMatrixHtml", () => {
  it("reads the inline styles", () => {
    assert.deepEqual(read("<b>b</b><strong>s</strong>"), [
      { type: "bold", children: [text("b")] },
      { type: "bold", children: [text("s")] },
    ]);
    assert.deepEqual(read("<i>i</i>/<em>e</em>"), [
      { type: "italic", children: [text("i")] },
      text("/"),
      { type: "italic", children: [text("e")] },
    ]);
    assert.deepEqual(read("<u>u</u><del>d</del><s>s</s><strike>k</strike>"), [
      { type: "underline", children: [text("u")] },
      { type: "strike", children: [text("d")] },
      { type: "strike", children: [text("s")] },
      { type: "strike", children: [text("k")] },
    ]);
    assert.deepEqual(read("<b>a<i>b</i>c</b>"), [
      { type: "bold", children: [text("a"), { type: "italic", children: [text("b")] }, text("c")] },
    ]);
  });

  it("reads spoilers on span and font, without their reason", () => {
    assert.deepEqual(read('a <span data-mx-spoiler="plot">twist</span> <font data-mx-spoiler>x</font>'), [
      text("a "),
      { type: "spoiler", children: [text("twist")] },
      text(" "),
      { type: "spoiler", children: [text("x")] },
    ]);
  });

  it("keeps the text of colours and unknown elements", () => {
    assert.deepEqual(read('<font color="red">r</font><span data-mx-color="#00f">b</span><blink>!</blink>'), [
      text("rb!"),
    ]);
  });

  it("leaves out empty elements", () => {
    assert.deepEqual(read("a<b></b><i> </i>b"), [
      text("a"),
      { type: "italic", children: [text(" ")] },
      text("b"),
    ]);
    assert.deepEqual(read("<b></b>x<code></code>"), [text("x")]);
    assert.deepEqual(read("<img src='mxc://x/y'>"), []);
  });

  it("decodes entities", () => {
    assert.deepEqual(read("&lt;script&gt; &amp; &quot;q&quot; &#x1F600; caf&eacute;"), [
      text('<script> & "q" 😀 café'),
    ]);
  });

  it("collapses white space like a browser", () => {
    assert.deepEqual(read("  a \n\t b  <b> c </b>  "), [
      text("a b "),
      { type: "bold", children: [text("c")] },
    ]);
    assert.deepEqual(read("a <br> b"), [text("a\nb")]);
  });

  it("breaks lines at blocks and <br>, with a blank line between paragraphs", () => {
    assert.deepEqual(read("<div>a</div><div>b<br></div><div>c</div>d"), [text("a\nb\nc\nd")]);
    assert.deepEqual(read("<p>one</p>\n<p>two<br>three</p>\n"), [text("one\n\ntwo\nthree")]);
    assert.deepEqual(read("<br>a<br><br>b<br>"), [text("\na\n\nb\n")]);
    assert.deepEqual(read("<p></p><div></div>a"), [text("a")]);
    assert.deepEqual(read("a<hr>b"), [text("a\n---\nb")]);
  });

  it("reads inline code literally, and code blocks with their language", () => {
    assert.deepEqual(read("<code>a  &lt;b&gt;</code>."), [{ type: "code", text: "a  <b>" }, text(".")]);
    assert.deepEqual(read('<pre><code class="language-js">if (x) {\n  y();\n}\n</code></pre>after'), [
      { type: "codeBlock", text: "if (x) {\n  y();\n}", language: "js" },
      text("after"),
    ]);
    assert.deepEqual(read("<pre>\n<b>x</b>  y\n\n</pre>"), [{ type: "codeBlock", text: "x  y\n" }]);
    assert.deepEqual(read('<pre><code class="hljs language-a&quot;b">x</code></pre>'), [
      { type: "codeBlock", text: "x" },
    ]);
  });

  it("reads links, showing the address when the text is the address or missing", () => {
    assert.deepEqual(read('<a href="https://example.org/x">here</a>!'), [
      { type: "link", url: "https://example.org/x", children: [text("here")] },
      text("!"),
    ]);
    assert.deepEqual(read('<a href="https://e.org/">https://e.org/</a> <a href=" https://f.org/\n"></a>'), [
      { type: "link", url: "https://e.org/", children: [] },
      text(" "),
      { type: "link", url: "https://f.org/", children: [] },
    ]);
    assert.deepEqual(read('<a href="mailto:a@b.c"><b>mail</b></a>'), [
      { type: "link", url: "mailto:a@b.c", children: [{ type: "bold", children: [text("mail")] }] },
    ]);
  });

  it("keeps only the text of links nobody can follow", () => {
    assert.deepEqual(read('<a href="javascript:alert(1)">x</a><a href="#top">y</a><a>z</a>'), [text("xyz")]);
  });

  it("makes pills of users with a remote identity mentions, and other pills their text", () => {
    assert.deepEqual(read(`<a href="https://matrix.to/#/${alice}">Alice A.</a>: hi`), [
      { type: "mention", user: "alice_", name: "Alice <A>" },
      text(": hi"),
    ]);
    assert.deepEqual(read('<a href="https://matrix.to/#/%40alice%3Aexample.org">x</a>'), [
      { type: "mention", user: "alice_", name: "Alice <A>" },
    ]);
    assert.deepEqual(read('<a href="matrix:u/alice:example.org">x</a>'), [
      { type: "mention", user: "alice_", name: "Alice <A>" },
    ]);
    assert.deepEqual(read('<a href="https://matrix.to/#/@bob:example.org">Bob</a> hi'), [text("Bob hi")]);
    assert.deepEqual(read('<a href="https://matrix.to/#/#room:example.org">the room</a>'), [
      { type: "link", url: "https://matrix.to/#/#room:example.org", children: [text("the room")] },
    ]);
  });

  it("reads quotes, nested ones inside", () => {
    assert.deepEqual(read("<blockquote><p>q1</p>q2<blockquote>deep</blockquote></blockquote><p>reply</p>"), [
      {
        type: "quote",
        children: [text("q1\n\nq2"), { type: "quote", children: [text("deep")] }],
      },
      text("\nreply"),
    ]);
  });

  it("reads headings as one line of inline content", () => {
    assert.deepEqual(read("<h1>Title <em>x</em></h1><h6>six</h6>text"), [
      { type: "heading", level: 1, children: [text("Title "), { type: "italic", children: [text("x")] }] },
      { type: "heading", level: 6, children: [text("six")] },
      text("text"),
    ]);
    assert.deepEqual(read("<h2>a<ul><li>b</li></ul></h2>"), [
      { type: "heading", level: 2, children: [text("a\n- b")] },
    ]);
  });

  it("reads lists, nested ones inside their item", () => {
    assert.deepEqual(
      read('<ul><li>one</li><li>two<ol start="3"><li>a</li><li><p>b</p></li></ol></li></ul>'),
      [
        {
          type: "list",
          ordered: false,
          items: [
            [text("one")],
            [text("two"), { type: "list", ordered: true, start: 3, items: [[text("a")], [text("b")]] }],
          ],
        },
      ],
    );
    assert.deepEqual(read("<ol>\n <li>x</li>\n <ul><li>y</li></ul>stray<li></li></ol>"), [
      {
        type: "list",
        ordered: true,
        items: [[text("x"), { type: "list", ordered: false, items: [[text("y")]] }], [text("stray")], []],
      },
    ]);
    assert.deepEqual(read('<ol start="x"><li>a</li></ol><ul start="2"><li>b</li></ul><ul></ul>'), [
      { type: "list", ordered: true, items: [[text("a")]] },
      { type: "list", ordered: false, items: [[text("b")]] },
    ]);
  });

  it("puts blocks on lines of their own, a blank line before them after a paragraph", () => {
    assert.deepEqual(read("a<blockquote>q</blockquote>b"), [
      text("a"),
      { type: "quote", children: [text("q")] },
      text("b"),
    ]);
    assert.deepEqual(read("<p>a</p><ul><li>x</li></ul><p>b</p>"), [
      text("a\n\n"),
      { type: "list", ordered: false, items: [[text("x")]] },
      text("\nb"),
    ]);
    assert.deepEqual(read("a<blockquote></blockquote>b"), [text("a\nb")]);
    assert.deepEqual(read("<div>a</div><ul><li>x</li></ul><div>b</div>"), [
      text("a"),
      { type: "list", ordered: false, items: [[text("x")]] },
      text("b"),
    ]);
  });

  it("cuts inline elements around a block in two", () => {
    assert.deepEqual(read("<b>x<blockquote>q</blockquote>y</b><i><pre>c</pre></i>"), [
      { type: "bold", children: [text("x")] },
      { type: "quote", children: [text("q")] },
      { type: "bold", children: [text("y")] },
      { type: "codeBlock", text: "c" },
    ]);
  });

  it("writes table rows as lines of cells", () => {
    assert.deepEqual(
      read("<table><tr><th>a</th> <th>b</th></tr>\n<tr><td>1</td><td>2</td></tr></table>after"),
      [text("a | b\n1 | 2\nafter")],
    );
  });

  it("uses the alt text of images and emoji", () => {
    assert.deepEqual(read('hi <img src="mxc://x/y" alt=":wave:"> <img title="t">'), [text("hi :wave: t")]);
  });

  it("leaves out the reply fallback, scripts and styles", () => {
    assert.deepEqual(read("<mx-reply><blockquote><a>In reply to</a> old</blockquote></mx-reply>new"), [
      text("new"),
    ]);
    assert.deepEqual(read("<style>b{}</style>a<script>alert(1)</script>"), [text("a")]);
  });

  it("survives hostile nesting", () => {
    // As deep as a Matrix event (64 KiB at most) can nest.
    for (const tag of ["b", "blockquote", "ul", "li", "a href='https://x.org'", "span", "div", "h1", "pre"]) {
      const name = tag.split(" ")[0];
      const html = `<${tag}>`.repeat(20_000) + "deep" + `</${name}>`.repeat(20_000);
      assert.match(plainText(read(html)), /deep/, tag);
    }
  });

  it("tolerates broken HTML", () => {
    assert.deepEqual(read("<b>a<i>b</b>c</i>d"), [
      { type: "bold", children: [text("a"), { type: "italic", children: [text("b")] }] },
      text("cd"),
    ]);
    assert.deepEqual(read("a</p>b<"), [text("a\n\nb<")]);
  });
});

describe("matrixMentions", () => {
  it("lists the pilled users once each, in order", () => {
    const html =
      '<a href="matrix:u/bob:x.org">b</a> <a href="https://matrix.to/#/%40alice%3Aexample.org">a</a>' +
      '<a href="https://matrix.to/#/@bob:x.org?via=x.org">b</a><a href="https://matrix.to/#/#room:x.org">r</a>' +
      '<a href="https://example.org/@carol:x.org">no</a><a href="https://matrix.to/#/@not an id">no</a>';
    assert.deepEqual(matrixMentions(html), ["@bob:x.org", alice]);
  });

  it("does not count the reply fallback", () => {
    assert.deepEqual(
      matrixMentions(`<mx-reply><a href="https://matrix.to/#/${alice}">a</a></mx-reply>new`),
      [],
    );
  });
});
