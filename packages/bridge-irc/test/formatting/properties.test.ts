import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RichNode, remoteUserId } from "bridge-core";
import fc from "fast-check";
import {
  applyCode,
  colourHex,
  type IrcStyle,
  PLAIN,
  stripIrcFormatting,
  tokenizeIrc,
} from "../../src/formatting/codes.ts";
import { ircToRichText } from "../../src/formatting/irc-to-rich-text.ts";
import {
  isSafeIrcParam,
  sanitizeIrcText,
  sanitizeNick,
  splitMessage,
  utf8Length,
} from "../../src/formatting/lines.ts";
import { richTextToIrc } from "../../src/formatting/rich-text-to-irc.ts";

const RUNS = { numRuns: 400 };
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Pieces that stress the text layer: line breaks, NUL, codes with and without parameters, clusters, surrogates. */
const tricky = fc.constantFrom(
  "\r",
  "\n",
  "\r\n",
  "\0",
  " ",
  "   ",
  "\t",
  "\x01",
  "\x02",
  "\x1D",
  "\x1F",
  "\x1E",
  "\x11",
  "\x16",
  "\x0F",
  "\x03",
  "\x034",
  "\x0304,12",
  "\x0399",
  "\x0399,05",
  ",",
  ",5",
  "5",
  "12",
  "\x04",
  "\x04ff8800",
  "\x04ABCDEF,012345",
  "👨‍👩‍👧",
  "🇫🇷",
  "e\u0301",
  `a${"\u0300".repeat(30)}`,
  "\uD800",
  "\uDC00",
  "<script>",
  "&amp;",
  '"',
  "onclick=",
  "javascript:",
  "https://example.org/x",
);
const piece = fc.oneof(
  tricky,
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary-ascii", maxLength: 12 }),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 40 }),
);
const anyText = fc.array(piece, { maxLength: 40 }).map((a) => a.join(""));
const maxBytes = fc.integer({ min: 20, max: 510 });

/** The input as splitMessage sees it: line breaks kept, NUL gone, lone surrogates replaced. */
function cleanLines(text: string): string[] {
  return text
    .toWellFormed()
    .replace(/\0/g, "")
    .split(/\r\n|\r|\n/);
}

/** A style as a comparable string. For a Matrix round trip, colours and reverse video (which rich text lacks) are left out. */
function styleKey(style: IrcStyle, roundTrip: boolean): string {
  const colour = (c: IrcStyle["fg"]) => (c === undefined || roundTrip ? "-" : colourHex(c));
  return [
    style.bold,
    style.italic,
    style.underline,
    style.strikethrough,
    style.monospace,
    !roundTrip && style.reverse,
    colour(style.fg),
    colour(style.bg),
  ].join();
}

/** Every visible code point with the style it is shown in; each line starts plain, as each IRC message does. */
function styledChars(lines: readonly string[], roundTrip = false): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let style = PLAIN;
    for (const token of tokenizeIrc(line)) {
      if (token.kind === "code") style = applyCode(style, token.code);
      else for (const c of token.text) out.push(`${c}|${styleKey(style, roundTrip)}`);
    }
  }
  return out;
}

function codesOf(lines: readonly string[]): string[] {
  return lines.flatMap((line) => tokenizeIrc(line).flatMap((t) => (t.kind === "code" ? [t.code] : [])));
}

function assertSafeLines(lines: readonly string[], max: number) {
  for (const line of lines) {
    assert.ok(line.length > 0, "no empty lines");
    assert.ok(utf8Length(line) <= max, `${utf8Length(line)} bytes > ${max}`);
    assert.ok(!/[\r\n\0]/.test(line), "no CR, LF or NUL");
    assert.equal(strictUtf8.decode(Buffer.from(line, "utf8")), line, "valid UTF-8");
  }
}

describe("splitMessage properties", () => {
  it("makes safe lines that lose and add nothing", () => {
    fc.assert(
      fc.property(anyText, maxBytes, (text, max) => {
        const lines = splitMessage(text, max);
        assertSafeLines(lines, max);
        assert.equal(lines.join(""), cleanLines(text).join(""));
        // Codes are never cut: the lines hold exactly the input's codes, parameters included.
        assert.deepEqual(codesOf(lines), codesOf(cleanLines(text)));
      }),
      RUNS,
    );
  });

  it("turns sanitised text into lines that join back to it", () => {
    fc.assert(
      fc.property(anyText, maxBytes, (text, max) => {
        const clean = sanitizeIrcText(text);
        assert.ok(!/[\r\n\0]/.test(clean));
        const lines = splitMessage(clean, max);
        assertSafeLines(lines, max);
        assert.equal(lines.join(""), clean);
      }),
      RUNS,
    );
  });

  it("handles 10 kB lines", () => {
    const long = fc.array(piece, { minLength: 300, maxLength: 600 }).map((a) => a.join(""));
    fc.assert(
      fc.property(long, maxBytes, (text, max) => {
        const lines = splitMessage(text, max);
        assertSafeLines(lines, max);
        assert.equal(lines.join(""), cleanLines(text).join(""));
      }),
      { numRuns: 50 },
    );
  });

  it("with carried formatting, shows every character in the style it had", () => {
    const text = fc.array(piece, { maxLength: 60 }).map((a) => a.join(""));
    // Room for the longest carried prefix next to the largest cluster the pieces make.
    fc.assert(
      fc.property(text, fc.integer({ min: 80, max: 510 }), (t, max) => {
        const lines = splitMessage(t, max, { carryFormatting: true });
        assertSafeLines(lines, max);
        assert.deepEqual(styledChars(lines), styledChars(cleanLines(t)));
        assert.equal(lines.map(stripIrcFormatting).join(""), cleanLines(t).map(stripIrcFormatting).join(""));
      }),
      RUNS,
    );
  });

  it("with carried formatting and tiny lines, still makes safe lines without losing text", () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 20, max: 40 }), (t, max) => {
        const lines = splitMessage(t, max, { carryFormatting: true });
        assertSafeLines(lines, max);
        assert.equal(lines.map(stripIrcFormatting).join(""), cleanLines(t).map(stripIrcFormatting).join(""));
      }),
      RUNS,
    );
  });
});

/** The text of rich text's leaves, in order, mentions as their names. */
function leafText(rich: readonly RichNode[]): string {
  return rich
    .map((node) => {
      switch (node.type) {
        case "text":
        case "code":
        case "codeBlock":
          return node.text;
        case "mention":
          return node.name;
        case "list":
          return node.items.map(leafText).join("");
        default:
          return leafText(node.children);
      }
    })
    .join("");
}

/** Every node, depth first, with the spans it is inside. */
function* walk(rich: readonly RichNode[], inside: string[] = []): Generator<[RichNode, string[]]> {
  for (const node of rich) {
    yield [node, inside];
    if ("children" in node) yield* walk(node.children, [...inside, node.type]);
  }
}

describe("ircToRichText properties", () => {
  const nick = fc.stringMatching(/^[a-z[\]{}|^_-][a-z0-9[\]{}|^_-]{0,8}$/);
  const knownNicks = fc
    .array(fc.tuple(nick, fc.constantFrom("a", "b{c}", "q~2")), { maxLength: 4 })
    .map((pairs) => new Map(pairs));
  const withNicks = fc
    .tuple(anyText, knownNicks, fc.array(nick, { maxLength: 4 }))
    .map(([text, nicks, extra]) => [[...extra, text, ...nicks.keys()].join(" "), nicks] as const);

  it("keeps the text, mentions only known users and nests no span in itself", () => {
    fc.assert(
      fc.property(withNicks, ([text, nicks]) => {
        const rich = ircToRichText(text, { knownNicks: nicks });
        assert.equal(leafText(rich), stripIrcFormatting(text.replace(/\r\n|\r/g, "\n")));
        const known = new Set<string>(nicks.values());
        for (const [node, inside] of walk(rich)) {
          if (node.type === "mention") assert.ok(known.has(node.user), node.user);
          if (node.type === "text" || node.type === "code") assert.notEqual(node.text, "");
          assert.ok(!inside.includes(node.type), `${node.type} inside itself`);
        }
      }),
      RUNS,
    );
  });

  it("survives a round trip through richTextToIrc with its styles, colours aside", () => {
    const index = fc.integer({ min: 0, max: 98 }).map(String);
    const code = fc.oneof(
      fc.constantFrom("\x02", "\x1D", "\x1F", "\x1E", "\x11", "\x0F", "\x03"),
      index.map((n) => `\x03${n}`),
      fc.tuple(index, index).map(([f, b]) => `\x03${f},${b}`),
      fc.constantFrom("\x04ff8800", "\x04123456,abcdef"),
    );
    const word = fc.constantFrom("a", "b", "1", "23", ",", "x,5", "é", "😀", "<&>");
    const message = fc
      .array(fc.oneof(code, word, fc.constant(" ")), { maxLength: 30 })
      .map((a) => a.join(""));
    fc.assert(
      fc.property(message, (irc) => {
        const back = richTextToIrc(ircToRichText(irc));
        assert.deepEqual(styledChars(back.split("\n"), true), styledChars([irc], true), JSON.stringify(back));
      }),
      RUNS,
    );
  });
});

describe("richTextToIrc properties", () => {
  const text = fc.oneof(piece, fc.constantFrom("\r\n", "\n\n", "https://e.org/\r\nPRIVMSG #x :hi"));
  const url = fc.oneof(
    fc.constantFrom(
      "https://e.org/x",
      "javascript:alert(1)",
      "https://e.org/\r\nPRIVMSG #x :hi",
      "\0\x01",
      "",
    ),
    text,
  );
  const { node } = fc.letrec<{ node: RichNode; nodes: RichNode[] }>((tie) => ({
    nodes: fc.array(tie("node"), { maxLength: 4 }),
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      text.map((t): RichNode => ({ type: "text", text: t })),
      text.map((t): RichNode => ({ type: "code", text: t })),
      text.map((t): RichNode => ({ type: "codeBlock", text: t })),
      fc
        .constantFrom("u1", "u2")
        .map((u): RichNode => ({ type: "mention", user: remoteUserId(u), name: "N\r\n\0" })),
      fc
        .tuple(fc.constantFrom("bold", "italic", "underline", "strike", "spoiler", "quote"), tie("nodes"))
        .map(([type, children]) => ({ type, children }) as RichNode),
      fc.tuple(url, tie("nodes")).map(([u, children]): RichNode => ({ type: "link", url: u, children })),
      tie("nodes").map((children): RichNode => ({ type: "heading", level: 2, children })),
      fc
        .tuple(fc.boolean(), fc.array(tie("nodes") as fc.Arbitrary<RichNode[]>, { maxLength: 3 }))
        .map(([ordered, items]): RichNode => ({ type: "list", ordered, items })),
    ),
  }));
  const rich = fc.array(node, { maxLength: 6 });
  const nickFor = fc.constantFrom("nick", "ni\r\nck", "\0\x01", "", " ");

  it("never lets CR, LF, NUL or CTCP markers into a line", () => {
    fc.assert(
      fc.property(rich, nickFor, maxBytes, (r, nick, max) => {
        const out = richTextToIrc(r, { mentionedNick: (u) => (u === "u1" ? nick : null) });
        assert.ok(!/[\r\0\x01]/.test(out), JSON.stringify(out));
        const lines = splitMessage(out, max, { carryFormatting: true });
        assertSafeLines(lines, max);
        for (const line of lines) assert.ok(!line.includes("\x01"));
      }),
      RUNS,
    );
  });

  it("keeps plain text's characters", () => {
    fc.assert(
      fc.property(anyText, (body) => {
        const out = richTextToIrc([{ type: "text", text: body }]);
        assert.ok(!/[\r\0\x01]/.test(out));
        assert.equal(out.replace(/\n/g, ""), body.toWellFormed().replace(/[\r\n\0\x01]/g, ""));
      }),
      RUNS,
    );
  });
});

describe("sanitizeNick properties", () => {
  const name = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ unit: "binary-ascii", maxLength: 40 }),
  );

  it("always makes a valid nick within the length limit", () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 1, max: 64 }), (n, max) => {
        const nick = sanitizeNick(n, max);
        assert.match(nick, /^[A-Za-z[\]\\^_{}|][A-Za-z0-9[\]\\^_{}|-]*$/);
        assert.ok(nick.length <= max);
        assert.ok(isSafeIrcParam(nick));
        assert.equal(sanitizeNick(n, max), nick, "stable");
      }),
      RUNS,
    );
  });
});
