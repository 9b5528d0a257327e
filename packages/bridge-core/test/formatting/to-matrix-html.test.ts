import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toMatrixHtml } from "../../src/formatting/matrix-html.ts";
import { type RemoteUserId, remoteUserId, type UserId } from "../../src/ids.ts";
import type { RichNode, RichText } from "../../src/rich-text.ts";

const pillOf = (user: RemoteUserId) => `@irc_${user}:example.org` as UserId;
const write = (rich: RichText) => toMatrixHtml(rich, pillOf);
const text = (value: string): RichNode => ({ type: "text", text: value });

describe("toMatrixHtml", () => {
  it("leaves plain text without HTML", () => {
    assert.deepEqual(write([text("a <b>\nc")]), { body: "a <b>\nc" });
    assert.deepEqual(write([]), { body: "" });
  });

  it("writes the inline styles, escaping all text", () => {
    assert.deepEqual(
      write([
        text("hello "),
        { type: "bold", children: [text("<x>")] },
        text(" & "),
        { type: "italic", children: [{ type: "underline", children: [text("u")] }] },
        { type: "strike", children: [text("s")] },
        { type: "spoiler", children: [text("hidden")] },
        { type: "code", text: "</code><script>" },
      ]),
      {
        body: "hello <x> & ushidden</code><script>",
        html: "hello <b>&lt;x&gt;</b> &amp; <i><u>u</u></i><del>s</del><span data-mx-spoiler>hidden</span><code>&lt;/code&gt;&lt;script&gt;</code>",
      },
    );
  });

  it("writes line breaks as <br>", () => {
    assert.equal(
      write([{ type: "bold", children: [text("a\nb")] }, text("\r\nc")]).html,
      "<b>a<br>b</b><br>c",
    );
  });

  it("writes mentions as pills with the name, percent-encoding what a link path cannot hold", () => {
    assert.deepEqual(write([{ type: "mention", user: remoteUserId("bob"), name: "Bob <B>" }, text(": hi")]), {
      body: "Bob <B>: hi",
      html: '<a href="https://matrix.to/#/@irc_bob:example.org">Bob &lt;B&gt;</a>: hi',
    });
    assert.equal(
      write([{ type: "mention", user: remoteUserId("we/i?rd#"), name: "W" }]).html,
      '<a href="https://matrix.to/#/@irc_we%2Fi%3Frd%23:example.org">W</a>',
    );
  });

  it("links only web and mail addresses, escaping the address", () => {
    assert.equal(
      write([{ type: "link", url: 'https://e.org/?a=1&b="2"', children: [text("e")] }]).html,
      '<a href="https://e.org/?a=1&amp;b=&quot;2&quot;">e</a>',
    );
    assert.equal(
      write([{ type: "link", url: "mailto:a@b.c", children: [] }]).html,
      '<a href="mailto:a@b.c">mailto:a@b.c</a>',
    );
    assert.deepEqual(write([{ type: "link", url: "javascript:alert(1)", children: [text("x")] }]), {
      body: "x (javascript:alert(1))",
      html: "x (javascript:alert(1))",
    });
    assert.equal(write([{ type: "link", url: "tg://user?id=1", children: [] }]).html, "tg://user?id=1");
  });

  it("writes code blocks with a language only when it is a plain name", () => {
    assert.deepEqual(write([text("see"), { type: "codeBlock", text: "a < b\n  c", language: "js" }]), {
      body: "see\na < b\n  c",
      html: 'see<pre><code class="language-js">a &lt; b\n  c\n</code></pre>',
    });
    assert.equal(
      write([{ type: "codeBlock", text: "x", language: '"><script>' }]).html,
      "<pre><code>x\n</code></pre>",
    );
  });

  it("writes quotes, headings and lists", () => {
    assert.deepEqual(
      write([
        { type: "heading", level: 2, children: [text("Title")] },
        { type: "quote", children: [text("q"), { type: "quote", children: [text("deeper")] }] },
        {
          type: "list",
          ordered: true,
          start: 3,
          items: [[text("a")], [{ type: "bold", children: [text("b")] }]],
        },
        { type: "list", ordered: false, items: [[text("x")], []] },
      ]),
      {
        body: "Title\n> q\n> > deeper\n3. a\n4. b\n- x\n- ",
        html:
          "<h2>Title</h2><blockquote>q<blockquote>deeper</blockquote></blockquote>" +
          '<ol start="3"><li>a</li><li><b>b</b></li></ol><ul><li>x</li><li></li></ul>',
      },
    );
    assert.equal(write([{ type: "heading", level: 9, children: [text("h")] }]).html, "<h6>h</h6>");
  });

  it("writes what hostile nesting holds past a depth as text", () => {
    let quotes: RichNode = { type: "bold", children: [text("deep")] };
    let lists: RichNode = text("deep");
    for (let i = 0; i < 100_000; i++) {
      quotes = { type: "quote", children: [quotes] };
      lists = { type: "list", ordered: false, items: [[text("-")], [lists]] };
    }
    const quoted = write([quotes]);
    assert.ok(quoted.html?.endsWith(`${"<blockquote>".repeat(99)}deep${"</blockquote>".repeat(99)}`));
    assert.ok(quoted.body.endsWith(`${"> ".repeat(99)}deep`));
    assert.ok(write([lists]).html?.endsWith(`-<br>deep${"</li></ul>".repeat(99)}`));
  });
});
