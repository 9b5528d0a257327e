import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ircToMatrix } from "../../src/formatting/irc-to-matrix.ts";

describe("ircToMatrix", () => {
  it("leaves plain text without html", () => {
    assert.deepEqual(ircToMatrix("hello https://example.org/?a=1&b=2"), {
      body: "hello https://example.org/?a=1&b=2",
      mentions: [],
    });
  });

  it("maps each toggle to its tag", () => {
    const cases: [string, string][] = [
      ["\x02b\x02", "<b>b</b>"],
      ["\x1Di\x1D", "<i>i</i>"],
      ["\x1Fu\x1F", "<u>u</u>"],
      ["\x1Es\x1E", "<del>s</del>"],
      ["\x11m\x11", "<code>m</code>"],
    ];
    for (const [irc, html] of cases)
      assert.deepEqual(ircToMatrix(irc), { body: irc.slice(1, -1), html, mentions: [] });
  });

  it("closes formatting left open at the end", () => {
    assert.equal(ircToMatrix("a \x02bold").html, "a <b>bold</b>");
  });

  it("nests overlapping toggles properly", () => {
    assert.equal(ircToMatrix("\x02b \x1Dbi\x02 i\x1D x").html, "<b>b <i>bi</i></b><i> i</i> x");
    assert.equal(ircToMatrix("\x02\x1D\x1Fall\x0F none").html, "<b><i><u>all</u></i></b> none");
    // Turning off an inner toggle keeps the outer one open.
    assert.equal(ircToMatrix("\x02b\x1Dbi\x1Db").html, "<b>b<i>bi</i>b</b>");
  });

  it("resets everything with \\x0F", () => {
    assert.deepEqual(ircToMatrix("\x02\x0304bold red\x0F plain"), {
      body: "bold red plain",
      html: '<b><font color="#ff0000" data-mx-color="#ff0000">bold red</font></b> plain',
      mentions: [],
    });
  });

  it("ignores codes that format nothing", () => {
    assert.deepEqual(ircToMatrix("\x02\x02hi\x0F\x0304"), { body: "hi", mentions: [] });
    assert.deepEqual(ircToMatrix("hi \x1D\x1D"), { body: "hi ", mentions: [] });
  });

  it("drops reverse video, which Matrix cannot show", () => {
    assert.deepEqual(ircToMatrix("\x16rev\x16 x"), { body: "rev x", mentions: [] });
  });

  describe("colours", () => {
    const font = (fg?: string, bg?: string) =>
      `<font ${[fg ? `color="${fg}" data-mx-color="${fg}"` : "", bg ? `data-mx-bg-color="${bg}"` : ""].filter(Boolean).join(" ")}>`;

    it("maps the 16 standard colours", () => {
      const hexes = [
        "#ffffff",
        "#000000",
        "#00007f",
        "#009300",
        "#ff0000",
        "#7f0000",
        "#9c009c",
        "#fc7f00",
        "#ffff00",
        "#00fc00",
        "#009393",
        "#00ffff",
        "#0000fc",
        "#ff00ff",
        "#7f7f7f",
        "#d2d2d2",
      ];
      hexes.forEach((hex, n) => {
        assert.equal(ircToMatrix(`\x03${n}x`).html, `${font(hex)}x</font>`, `colour ${n}`);
        assert.equal(ircToMatrix(`\x03${String(n).padStart(2, "0")}x`).html, `${font(hex)}x</font>`);
      });
    });

    it("reads foreground and background, and keeps the background when only the foreground changes", () => {
      assert.equal(
        ircToMatrix("\x034,2a\x038b").html,
        `${font("#ff0000", "#00007f")}a</font>${font("#ffff00", "#00007f")}b</font>`,
      );
    });

    it("takes at most two digits, and a comma only with a digit after it", () => {
      assert.deepEqual(ircToMatrix("\x031234"), {
        body: "34",
        html: `${font("#0000fc")}34</font>`,
        mentions: [],
      });
      assert.deepEqual(ircToMatrix("\x034,x"), {
        body: ",x",
        html: `${font("#ff0000")},x</font>`,
        mentions: [],
      });
      assert.equal(ircToMatrix("\x034,123").html, `${font("#ff0000", "#0000fc")}3</font>`);
    });

    it("clears colours with a bare \\x03 and treats 99 as default", () => {
      assert.equal(ircToMatrix("\x034a\x03b").html, `${font("#ff0000")}a</font>b`);
      assert.equal(
        ircToMatrix("\x034,1a\x0399b").html,
        `${font("#ff0000", "#000000")}a</font>${font(undefined, "#000000")}b</font>`,
      );
      assert.equal(ircToMatrix("\x03,5x").html, undefined);
    });

    it("knows the extended palette", () => {
      assert.equal(ircToMatrix("\x0352x").html, `${font("#ff0000")}x</font>`);
      assert.equal(ircToMatrix("\x0398x").html, `${font("#ffffff")}x</font>`);
    });

    it("reads hex colours after \\x04", () => {
      assert.equal(
        ircToMatrix("\x04FF8800,001122hex\x04 no").html,
        `${font("#ff8800", "#001122")}hex</font> no`,
      );
      assert.deepEqual(ircToMatrix("\x04zz"), { body: "zz", mentions: [] });
    });

    it("keeps the colour open across toggles", () => {
      assert.equal(ircToMatrix("\x034r\x02rb\x02r").html, `${font("#ff0000")}r<b>rb</b>r</font>`);
    });
  });

  describe("escaping", () => {
    it("escapes markup in text, formatted or not", () => {
      assert.deepEqual(ircToMatrix("\x02<script>alert(\"x\")</script> & 'q'"), {
        body: "<script>alert(\"x\")</script> & 'q'",
        html: "<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</b>",
        mentions: [],
      });
    });

    it("does not let text form entities or tags", () => {
      assert.equal(ircToMatrix("\x02&lt;b&gt;").html, "<b>&amp;lt;b&amp;gt;</b>");
    });

    it("turns a line break in the text into <br>", () => {
      assert.equal(ircToMatrix("\x02a\nb").html, "<b>a<br>b</b>");
    });
  });

  describe("mentions", () => {
    const knownNicks = new Map([
      ["alice", "@alice:example.org"],
      ["Bob[m]", "@bob:example.org"],
    ]);

    it("turns known nicks into pills and lists them", () => {
      assert.deepEqual(ircToMatrix("alice: ask bob[m]", { knownNicks }), {
        body: "alice: ask bob[m]",
        html:
          '<a href="https://matrix.to/#/@alice:example.org">alice</a>: ask ' +
          '<a href="https://matrix.to/#/@bob:example.org">bob[m]</a>',
        mentions: ["@alice:example.org", "@bob:example.org"],
      });
    });

    it("gives a pill the style of its first character", () => {
      assert.equal(
        ircToMatrix("\x02hi ali\x02ce\x02!", { knownNicks }).html,
        '<b>hi <a href="https://matrix.to/#/@alice:example.org">alice</a>!</b>',
      );
    });
  });
});
