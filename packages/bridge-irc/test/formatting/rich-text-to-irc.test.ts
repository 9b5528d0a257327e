import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RemoteUserId, type RichNode, type RichText, remoteUserId } from "bridge-core";
import { richTextToIrc } from "../../src/formatting/rich-text-to-irc.ts";

const t = (text: string): RichNode => ({ type: "text", text });
const b = (...children: RichNode[]): RichNode => ({ type: "bold", children });
const i = (...children: RichNode[]): RichNode => ({ type: "italic", children });
const code = (text: string): RichNode => ({ type: "code", text });
const link = (url: string, ...children: RichNode[]): RichNode => ({ type: "link", url, children });
const quote = (...children: RichNode[]): RichNode => ({ type: "quote", children });
const irc = (rich: RichText, mentionedNick?: (user: RemoteUserId) => string | null) =>
  richTextToIrc(rich, mentionedNick ? { mentionedNick } : {});

describe("richTextToIrc", () => {
  it("writes plain text as it is, one line per line", () => {
    assert.equal(irc([t("a <b>not html</b>\r\nline 2")]), "a <b>not html</b>\nline 2");
    assert.equal(irc([]), "");
  });

  it("keeps NUL and CTCP markers out of the text", () => {
    assert.equal(irc([t("\x01DCC SEND x\x01\0")]), "DCC SEND x");
    assert.equal(irc([b(t("\x01VERSION\x01"))]), "\x02VERSION");
  });

  it("maps inline styles to codes", () => {
    assert.equal(irc([b(t("b")), t(" "), b(t("s"))]), "\x02b\x02 \x02s");
    assert.equal(irc([i(t("i")), t("/"), i(t("e"))]), "\x1Di\x1D/\x1De");
    assert.equal(irc([{ type: "underline", children: [t("u")] }, t(".")]), "\x1Fu\x1F.");
    assert.equal(irc([{ type: "strike", children: [t("dsk")] }, t(".")]), "\x1Edsk\x1E.");
    assert.equal(irc([code("c"), t(".")]), "\x11c\x11.");
  });

  it("counts nesting, so an inner span's end does not end the outer style", () => {
    assert.equal(irc([b(t("a"), b(t("b")), t("c")), t("d")]), "\x02abc\x02d");
    assert.equal(irc([b(t("a"), i(t("b")), t("c"))]), "\x02a\x1Db\x1Dc");
  });

  it("writes no codes for empty spans", () => {
    assert.equal(irc([t("a"), b(), i(t(" ")), t("b")]), "a\x1D \x1Db");
    assert.equal(irc([b(), t("x")]), "x");
  });

  it("turns line breaks and blocks into lines and drops empty ones", () => {
    assert.equal(irc([t("one\n\ntwo\nthree\n"), quote(), t("four")]), "one\ntwo\nthree\nfour");
  });

  it("reopens formatting on every line, since each IRC line starts plain", () => {
    assert.equal(irc([b(t("one\ntwo"))]), "\x02one\n\x02two");
  });

  it("lists items with bullets, numbers and indentation", () => {
    const inner: RichNode = { type: "list", ordered: true, start: 3, items: [[t("a")], [t("b")]] };
    assert.equal(
      irc([{ type: "list", ordered: false, items: [[t("one")], [t("two"), inner]] }]),
      "• one\n• two\n  3. a\n  4. b",
    );
  });

  it("prefixes quoted lines, nested quotes twice", () => {
    assert.equal(irc([quote(t("q1\nq2"), quote(t("deep"))), t("reply")]), "> q1\n> q2\n> > deep\nreply");
  });

  it("keeps the lines and spacing of a code block", () => {
    assert.equal(
      irc([{ type: "codeBlock", text: "if (x) {\n  y();\n}\n", language: "js" }, t("after")]),
      "\x11if (x) {\n\x11  y();\n\x11}\nafter",
    );
  });

  it("makes a heading a bold line of its own", () => {
    assert.equal(
      irc([t("a"), { type: "heading", level: 1, children: [t("Title")] }, t("b")]),
      "a\n\x02Title\nb",
    );
  });

  describe("links", () => {
    it("adds the url when the text differs", () => {
      assert.equal(irc([link("https://example.org/x", t("here")), t("!")]), "here (https://example.org/x)!");
    });

    it("adds nothing when the text is the url", () => {
      assert.equal(irc([link("https://example.org/", t("https://example.org/"))]), "https://example.org/");
      assert.equal(irc([link("https://example.org", t("example.org"))]), "example.org");
      assert.equal(irc([link("mailto:a@b.c", t("a@b.c"))]), "a@b.c");
    });

    it("shows the url of a link without text", () => {
      assert.equal(irc([link("https://example.org/")]), "https://example.org/");
    });

    it("does not show links that cannot be followed", () => {
      assert.equal(irc([link("javascript:alert(1)", t("x"))]), "x");
      assert.equal(irc([link("#top", t("x"))]), "x");
    });

    it("keeps line breaks and controls out of a url", () => {
      assert.equal(
        irc([link("https://e.org/\r\nPRIVMSG #x :hi\0", t("e"))]),
        "e (https://e.org/PRIVMSG#x:hi)",
      );
    });

    it("keeps the url out of the link's formatting", () => {
      assert.equal(irc([b(link("https://e.org/", t("e")))]), "\x02e\x02 (https://e.org/)");
    });
  });

  describe("mentions", () => {
    const nicks = (user: RemoteUserId) => (user === "alice" ? "Alice_" : null);
    const mention = (user: string, name: string): RichNode => ({
      type: "mention",
      user: remoteUserId(user),
      name,
    });

    it("writes the nick of the mentioned remote user", () => {
      assert.equal(irc([mention("alice", "Alice A."), t(": hi")], nicks), "Alice_: hi");
    });

    it("falls back to the mention's name", () => {
      assert.equal(irc([mention("bob", "Bob"), t(" hi")], nicks), "Bob hi");
      assert.equal(irc([mention("bob", "Bob\r\nsays")]), "Bob says");
    });
  });

  it("hides spoilers black on black", () => {
    assert.equal(irc([t("a "), { type: "spoiler", children: [t("twist")] }]), "a [spoiler] \x0301,01twist");
  });

  it("keeps digits and commas after a spoiler's colour from being read as part of it", () => {
    assert.equal(irc([{ type: "spoiler", children: [t("1")] }, t("2")]), "[spoiler] \x0301,011\x0F2");
  });
});
