import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Parser } from "htmlparser2";
import {
  applyCode,
  colourHex,
  type IrcStyle,
  nearestIrcColour,
  PLAIN,
  stripIrcFormatting,
  tokenizeIrc,
} from "../../src/formatting/codes.ts";
import { ircToMatrix } from "../../src/formatting/irc-to-matrix.ts";
import {
  isSafeIrcParam,
  sanitizeIrcText,
  sanitizeNick,
  splitMessage,
  utf8Length,
} from "../../src/formatting/lines.ts";
import { matrixToIrc } from "../../src/formatting/matrix-to-irc.ts";

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

/**
 * A style as a comparable string. For a Matrix round trip, reverse video (which Matrix lacks) is left out and
 * colours are taken as the nearest of the 16 standard ones, which is what comes back.
 */
function styleKey(style: IrcStyle, roundTrip: boolean): string {
  const colour = (c: IrcStyle["fg"]) => {
    if (c === undefined) return "-";
    const hex = colourHex(c)!;
    return roundTrip ? nearestIrcColour(hex) : hex;
  };
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

const ALLOWED_TAGS = new Set(["b", "i", "u", "del", "code", "font", "a", "br"]);
const ALLOWED_ATTRS: Record<string, Set<string>> = {
  font: new Set(["color", "data-mx-color", "data-mx-bg-color"]),
  a: new Set(["href"]),
};

/** The tags and attributes of generated HTML, its text (with <br> as newline), and whether it nests properly. */
function inspectHtml(html: string) {
  const tags: { name: string; attribs: Record<string, string> }[] = [];
  let text = "";
  let wellNested = true;
  const parser = new Parser(
    {
      onopentag: (name, attribs) => {
        tags.push({ name, attribs });
        if (name === "br") text += "\n";
      },
      onclosetag: (name, implied) => {
        if (implied && name !== "br") wellNested = false;
      },
      ontext: (t) => {
        text += t;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return { tags, text, wellNested };
}

describe("ircToMatrix properties", () => {
  const nick = fc.stringMatching(/^[a-z[\]{}|^_-][a-z0-9[\]{}|^_-]{0,8}$/);
  const knownNicks = fc
    .array(fc.tuple(nick, fc.constantFrom("@a:x", "@b/c:x", '@"q":x')), { maxLength: 4 })
    .map((pairs) => new Map(pairs));
  const withNicks = fc
    .tuple(anyText, knownNicks, fc.array(nick, { maxLength: 4 }))
    .map(([text, nicks, extra]) => [[...extra, text, ...nicks.keys()].join(" "), nicks] as const);

  it("only produces allowed, well-nested HTML whose text is the body", () => {
    fc.assert(
      fc.property(withNicks, ([text, nicks]) => {
        const { body, html } = ircToMatrix(text, { knownNicks: nicks });
        assert.equal(body, stripIrcFormatting(text.replace(/\r\n|\r/g, "\n")));
        if (html === undefined) return;
        assert.ok(!/<script/i.test(html));
        const { tags, text: shown, wellNested } = inspectHtml(html);
        assert.ok(wellNested, html);
        for (const { name, attribs } of tags) {
          assert.ok(ALLOWED_TAGS.has(name), name);
          for (const [attr, value] of Object.entries(attribs)) {
            assert.ok(ALLOWED_ATTRS[name]?.has(attr), `${name} ${attr}`);
            assert.ok(!/^on/i.test(attr));
            assert.ok(!/javascript:/i.test(value));
            if (attr === "href") assert.match(value, /^https:\/\/matrix\.to\/#\/@/);
            else assert.match(value, /^#[0-9a-f]{6}$/);
          }
        }
        assert.equal(shown, body);
      }),
      RUNS,
    );
  });

  it("survives a round trip through matrixToIrc with its styles", () => {
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
      .map((a) => a.join(""))
      .filter((m) => {
        const shown = stripIrcFormatting(m);
        return shown === shown.trim() && !shown.includes("  ");
      });
    fc.assert(
      fc.property(message, (irc) => {
        const matrix = ircToMatrix(irc);
        const back = matrixToIrc(matrix);
        assert.deepEqual(styledChars(back.split("\n"), true), styledChars([irc], true), JSON.stringify(back));
      }),
      RUNS,
    );
  });
});

describe("matrixToIrc properties", () => {
  const tag = fc.constantFrom(
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<pre>",
    "</pre>",
    "<code>",
    "</code>",
    "<p>",
    "</p>",
    "<br>",
    "<ul>",
    "<ol>",
    "<li>",
    "</ul>",
    "<blockquote>",
    "</blockquote>",
    "<mx-reply>",
    "</mx-reply>",
    "<script>",
    "</script>",
    "<hr>",
    "<table><tr><td>",
    "<td>",
    '<a href="https://matrix.to/#/@u:x">',
    '<a href="https://matrix.to/#/@other:x">',
    '<a href="javascript:alert(1)">',
    '<a href="https://e.org/\r\nPRIVMSG #x :hi">',
    '<a href="https://e.org/&#13;&#10;&#0;&#1;">',
    "</a>",
    '<font data-mx-color="#123456" data-mx-bg-color="#abc">',
    '<span data-mx-bg-color="#ff0000">',
    '<span data-mx-spoiler="a&#10;b">',
    "</font>",
    "</span>",
    '<img alt="a&#13;&#10;b&#1;">',
    "&#13;",
    "&#10;",
    "&#0;",
    "&#1;",
    "&#xD800;",
    "&amp;",
    "&lt;",
  );
  const html = fc.array(fc.oneof(tag, piece), { maxLength: 40 }).map((a) => a.join(""));
  const nickFor = fc.constantFrom("nick", "ni\r\nck", "\0\x01", "", " ");

  it("never lets CR, LF, NUL or CTCP markers into a line", () => {
    fc.assert(
      fc.property(html, anyText, nickFor, maxBytes, (h, body, nick, max) => {
        const out = matrixToIrc({ body, html: h }, { resolveMention: (u) => (u === "@u:x" ? nick : null) });
        assert.ok(!/[\r\0\x01]/.test(out), JSON.stringify(out));
        const lines = splitMessage(out, max, { carryFormatting: true });
        assertSafeLines(lines, max);
        for (const line of lines) assert.ok(!line.includes("\x01"));
      }),
      RUNS,
    );
  });

  it("keeps the body's text when there is no html", () => {
    fc.assert(
      fc.property(anyText, (body) => {
        const out = matrixToIrc({ body });
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
