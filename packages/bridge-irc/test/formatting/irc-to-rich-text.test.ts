import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RichNode, RichText } from "bridge-core";
import { ircToRichText } from "../../src/formatting/irc-to-rich-text.ts";

const text = (t: string): RichNode => ({ type: "text", text: t });
const bold = (...children: RichNode[]): RichNode => ({ type: "bold", children });
const italic = (...children: RichNode[]): RichNode => ({ type: "italic", children });
const underline = (...children: RichNode[]): RichNode => ({ type: "underline", children });
const mention = (user: string, name: string) => ({ type: "mention", user, name }) as RichNode;

describe("ircToRichText", () => {
  it("leaves plain text as one text node, URLs included", () => {
    assert.deepEqual(ircToRichText("hello https://example.org/?a=1&b=2"), [
      text("hello https://example.org/?a=1&b=2"),
    ]);
    assert.deepEqual(ircToRichText(""), []);
  });

  it("maps each toggle to its span", () => {
    const cases: [string, RichText][] = [
      ["\x02b\x02", [bold(text("b"))]],
      ["\x1Di\x1D", [italic(text("i"))]],
      ["\x1Fu\x1F", [underline(text("u"))]],
      ["\x1Es\x1E", [{ type: "strike", children: [text("s")] }]],
      ["\x11m\x11", [{ type: "code", text: "m" }]],
    ];
    for (const [irc, rich] of cases) assert.deepEqual(ircToRichText(irc), rich, JSON.stringify(irc));
  });

  it("closes formatting left open at the end", () => {
    assert.deepEqual(ircToRichText("a \x02bold"), [text("a "), bold(text("bold"))]);
  });

  it("nests overlapping toggles properly", () => {
    assert.deepEqual(ircToRichText("\x02b \x1Dbi\x02 i\x1D x"), [
      bold(text("b "), italic(text("bi"))),
      italic(text(" i")),
      text(" x"),
    ]);
    assert.deepEqual(ircToRichText("\x02\x1D\x1Fall\x0F none"), [
      bold(italic(underline(text("all")))),
      text(" none"),
    ]);
    // Turning off an inner toggle keeps the outer one open.
    assert.deepEqual(ircToRichText("\x02b\x1Dbi\x1Db"), [bold(text("b"), italic(text("bi")), text("b"))]);
  });

  it("resets everything with \\x0F and drops colours", () => {
    assert.deepEqual(ircToRichText("\x02\x0304bold red\x0F plain"), [bold(text("bold red")), text(" plain")]);
    assert.deepEqual(ircToRichText("\x034,2a\x038b \x02c"), [text("ab "), bold(text("c"))]);
    assert.deepEqual(ircToRichText("\x04FF8800,001122hex\x04 no"), [text("hex no")]);
  });

  it("reads a colour's digits as part of it, and a comma only with a digit after it", () => {
    assert.deepEqual(ircToRichText("\x031234"), [text("34")]);
    assert.deepEqual(ircToRichText("\x034,x"), [text(",x")]);
    assert.deepEqual(ircToRichText("\x034,123"), [text("3")]);
  });

  it("ignores codes that format nothing", () => {
    assert.deepEqual(ircToRichText("\x02\x02hi\x0F\x0304"), [text("hi")]);
    assert.deepEqual(ircToRichText("hi \x1D\x1D"), [text("hi ")]);
  });

  it("drops reverse video, which Matrix cannot show", () => {
    assert.deepEqual(ircToRichText("\x16rev\x16 x"), [text("rev x")]);
  });

  it("keeps markup in the text as text", () => {
    assert.deepEqual(ircToRichText("\x02<script>&lt;"), [bold(text("<script>&lt;"))]);
  });

  it("keeps line breaks as \\n", () => {
    assert.deepEqual(ircToRichText("\x02a\r\nb\rc"), [bold(text("a\nb\nc"))]);
  });

  describe("mentions", () => {
    const knownNicks = new Map([
      ["alice", "alice"],
      ["Bo", "bo"],
      ["Bob[m]", "bob{m}"],
      ["carol[m]", "carol{m}"],
    ]);
    const mentionsIn = (irc: string) =>
      JSON.stringify(ircToRichText(irc, { knownNicks }))
        .match(/"user":"[^"]*"/g)
        ?.map((m) => m.slice(8, -1)) ?? [];

    it("turns known nicks into mentions of their remote ids, written as they were", () => {
      assert.deepEqual(ircToRichText("alice: ask bob[m]", { knownNicks }), [
        mention("alice", "alice"),
        text(": ask "),
        mention("bob{m}", "bob[m]"),
      ]);
    });

    it("gives a mention the style of its first character", () => {
      assert.deepEqual(ircToRichText("\x02hi ali\x02ce\x02!", { knownNicks }), [
        bold(text("hi "), mention("alice", "alice"), text("!")),
      ]);
    });

    it("takes a short nick only when it addresses someone at the start", () => {
      assert.deepEqual(mentionsIn("bo, <hi>"), ["bo"]);
      assert.deepEqual(mentionsIn("so bo it goes"), []);
    });

    it("takes whole words only, in any case, brackets as punctuation", () => {
      assert.deepEqual(mentionsIn("ask Alice!"), ["alice"]);
      assert.deepEqual(mentionsIn("malice alice_ alices"), []);
      assert.deepEqual(ircToRichText("(alice)", { knownNicks }), [
        text("("),
        mention("alice", "alice"),
        text(")"),
      ]);
      assert.deepEqual(mentionsIn("thanks CAROL{M}"), ["carol{m}"]);
      assert.deepEqual(mentionsIn("thanks [alice]"), ["alice"]);
    });

    it("leaves nicks inside urls alone", () => {
      assert.deepEqual(mentionsIn("see https://example.org/alice and www.alice.org"), []);
    });

    it("keeps line breaks around mentions", () => {
      assert.deepEqual(ircToRichText("alice\nhi", { knownNicks }), [mention("alice", "alice"), text("\nhi")]);
    });
  });
});
