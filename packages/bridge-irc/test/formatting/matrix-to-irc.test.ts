import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matrixToIrc } from "../../src/formatting/matrix-to-irc.ts";

const html = (h: string, resolveMention?: (userId: string) => string | null) =>
  matrixToIrc({ body: "fallback", html: h }, resolveMention ? { resolveMention } : {});

describe("matrixToIrc", () => {
  it("uses the body when there is no html", () => {
    assert.equal(matrixToIrc({ body: "a <b>not html</b>\r\nline 2" }), "a <b>not html</b>\nline 2");
  });

  it("keeps NUL and CTCP markers out of the text", () => {
    assert.equal(matrixToIrc({ body: "\x01DCC SEND x\x01\0" }), "DCC SEND x");
    assert.equal(html("<b>\x01VERSION\x01</b>"), "\x02VERSION");
  });

  it("maps inline styles to codes", () => {
    assert.equal(html("<b>b</b> <strong>s</strong>"), "\x02b\x02 \x02s");
    assert.equal(html("<i>i</i>/<em>e</em>"), "\x1Di\x1D/\x1De");
    assert.equal(html("<u>u</u>."), "\x1Fu\x1F.");
    assert.equal(html("<del>d</del><s>s</s><strike>k</strike>."), "\x1Edsk\x1E.");
    assert.equal(html("<code>c</code>."), "\x11c\x11.");
  });

  it("counts nesting, so an inner close does not end the outer style", () => {
    assert.equal(html("<b>a<strong>b</strong>c</b>d"), "\x02abc\x02d");
    assert.equal(html("<b>a<i>b</i>c</b>"), "\x02a\x1Db\x1Dc");
  });

  it("writes no codes for empty elements", () => {
    assert.equal(html("a<b></b><i> </i>b"), "a\x1D \x1Db");
    assert.equal(html("<b></b>x"), "x");
  });

  it("decodes entities", () => {
    assert.equal(html("&lt;script&gt; &amp; &quot;q&quot; &#x1F600; caf&eacute;"), '<script> & "q" 😀 café');
  });

  it("collapses whitespace like a browser", () => {
    assert.equal(html("  a \n\t b  <b> c </b>  "), "a b \x02c");
  });

  it("turns blocks and <br> into lines and drops empty ones", () => {
    assert.equal(
      html("<p>one</p>\n<p>two<br>three</p><div>four</div><p></p><br><br>five"),
      "one\ntwo\nthree\nfour\nfive",
    );
  });

  it("reopens formatting on every line, since each IRC line starts plain", () => {
    assert.equal(html("<b>one<br>two</b>"), "\x02one\n\x02two");
  });

  it("lists items with bullets, numbers and indentation", () => {
    assert.equal(
      html('<ul><li>one</li><li>two<ol start="3"><li>a</li><li>b</li></ol></li></ul>'),
      "• one\n• two\n  3. a\n  4. b",
    );
  });

  it("prefixes quoted lines, nested quotes twice", () => {
    assert.equal(
      html("<blockquote><p>q1</p>q2<blockquote>deep</blockquote></blockquote><p>reply</p>"),
      "> q1\n> q2\n> > deep\nreply",
    );
  });

  it("keeps the lines and spacing of <pre>", () => {
    assert.equal(
      html('<pre><code class="language-js">if (x) {\n  y();\n}\n</code></pre>after'),
      "\x11if (x) {\n\x11  y();\n\x11}\nafter",
    );
  });

  it("removes the reply fallback", () => {
    assert.equal(html("<mx-reply><blockquote><a>In reply to</a> old</blockquote></mx-reply>new"), "new");
  });

  it("drops scripts and styles", () => {
    assert.equal(html("<style>p{}</style><script>alert(1)</script>ok"), "ok");
  });

  describe("links", () => {
    it("adds the url when the text differs", () => {
      assert.equal(html('<a href="https://example.org/x">here</a>!'), "here (https://example.org/x)!");
    });

    it("adds nothing when the text is the url", () => {
      assert.equal(html('<a href="https://example.org/">https://example.org/</a>'), "https://example.org/");
      assert.equal(html('<a href="https://example.org">example.org</a>'), "example.org");
      assert.equal(html('<a href="mailto:a@b.c">a@b.c</a>'), "a@b.c");
    });

    it("shows the url of a link without text", () => {
      assert.equal(html('<a href="https://example.org/"></a>'), "https://example.org/");
    });

    it("does not show links that cannot be followed", () => {
      assert.equal(html('<a href="javascript:alert(1)">x</a>'), "x");
      assert.equal(html('<a href="#top">x</a>'), "x");
    });

    it("keeps the url out of the link's formatting", () => {
      assert.equal(html('<b><a href="https://e.org/">e</a></b>'), "\x02e\x02 (https://e.org/)");
    });
  });

  describe("mentions", () => {
    const nicks = (userId: string) => (userId === "@alice:example.org" ? "alice_" : null);

    it("writes the nick for a pill", () => {
      assert.equal(
        html('<a href="https://matrix.to/#/@alice:example.org">Alice A.</a>: hi', nicks),
        "alice_: hi",
      );
      assert.equal(html('<a href="https://matrix.to/#/%40alice%3Aexample.org">Alice</a>', nicks), "alice_");
      assert.equal(html('<a href="matrix:u/alice:example.org">Alice</a>', nicks), "alice_");
    });

    it("falls back to the pill's text, without the url", () => {
      assert.equal(html('<a href="https://matrix.to/#/@bob:example.org">Bob</a> hi', nicks), "Bob hi");
      assert.equal(html('<a href="https://matrix.to/#/@bob:example.org">Bob</a> hi'), "Bob hi");
    });

    it("treats room links as links", () => {
      assert.equal(
        html('<a href="https://matrix.to/#/#room:example.org">the room</a>'),
        "the room (https://matrix.to/#/#room:example.org)",
      );
    });
  });

  describe("colours", () => {
    it("maps to the nearest of the 16 colours", () => {
      assert.equal(html('<font data-mx-color="#ff0000">r</font>x'), "\x0304r\x0Fx");
      assert.equal(html('<span data-mx-color="#fe1010">r</span>'), "\x0304r");
      assert.equal(html('<font color="#00f">b</font>'), "\x0312b");
      assert.equal(html('<font color="green">g</font>'), "\x0303g");
      assert.equal(html('<font data-mx-color="#0a0a0a" data-mx-bg-color="#fdfdfd">b</font>'), "\x0301,00b");
    });

    it("picks a readable foreground for a background alone", () => {
      assert.equal(html('<span data-mx-bg-color="#000000">x</span>'), "\x0300,01x");
      assert.equal(html('<span data-mx-bg-color="#ffff00">x</span>'), "\x0301,08x");
    });

    it("keeps digits and commas after a colour from being read as part of it", () => {
      assert.equal(html('<font data-mx-color="#ff0000">1</font>2'), "\x03041\x0F2");
      assert.equal(html('<font data-mx-color="#ff0000">,5</font>'), "\x0304\x02\x02,5");
    });

    it("restores the outer colour after an inner one", () => {
      assert.equal(
        html('<font data-mx-color="#ff0000">r<font data-mx-color="#0000fc">b</font>r</font>'),
        "\x0304r\x0312b\x0304r",
      );
    });

    it("ignores colours it cannot read", () => {
      assert.equal(html('<font data-mx-color="url(x)">x</font>'), "x");
    });

    it("hides spoilers black on black", () => {
      assert.equal(html('a <span data-mx-spoiler="plot">twist</span>'), "a [spoiler: plot] \x0301,01twist");
    });
  });

  it("uses alt text of images and emoji", () => {
    assert.equal(html('hi <img src="mxc://x/y" alt=":wave:">'), "hi :wave:");
  });

  it("falls back to the body when the html shows nothing", () => {
    assert.equal(html("<img src='mxc://x/y'>"), "fallback");
  });
});
