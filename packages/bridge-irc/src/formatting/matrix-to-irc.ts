// Matrix → IRC: `org.matrix.custom.html` becomes text with IRC control codes, one IRC line per block.
// HTML nests while IRC codes toggle, so nesting is counted per style and codes are written lazily, right
// before the next visible text: empty elements cost nothing, and a code never ends up glued to digits that
// would change its meaning. Every output line starts unformatted (each IRC message does), so formatting that
// spans a line break is opened again on the next line.

import { Parser } from "htmlparser2";
import {
  contrastingColour,
  type IrcColour,
  type IrcStyle,
  nearestIrcColour,
  normaliseHex,
  PLAIN,
  transitionCodes,
} from "./codes.ts";
import { userIdFromLink } from "./html.ts";

export interface MatrixToIrcOptions {
  /**
   * The IRC nick to write for a mentioned Matrix user (a pill), or null to keep the pill's text. Called for
   * each pill; for a ghost of an IRC user this is the IRC nick, for a Matrix user their nick on the network.
   */
  resolveMention?: (userId: string) => string | null;
}

export interface MatrixMessageText {
  body: string;
  /** `formatted_body` when `format` is "org.matrix.custom.html". */
  html?: string | undefined;
}

/** Elements whose content is not part of the message: the reply quote, and what browsers never show. */
const SKIPPED = new Set(["mx-reply", "script", "style", "head", "title", "template", "noscript"]);
const BLOCKS = new Set([
  "p",
  "div",
  "blockquote",
  "pre",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "caption",
  "details",
  "summary",
  "dl",
  "dt",
  "dd",
  "section",
  "article",
  "header",
  "footer",
  "figure",
  "figcaption",
]);
/** Link schemes worth showing as text; others (javascript:, data:, relative links) are not followable on IRC. */
const SHOWN_SCHEMES = /^(?:https?|ftp|mailto|magnet|matrix|irc|ircs):/i;
const NAMED_COLOURS: Record<string, string> = {
  black: "#000000",
  white: "#ffffff",
  red: "#ff0000",
  green: "#008000",
  lime: "#00ff00",
  blue: "#0000ff",
  navy: "#000080",
  yellow: "#ffff00",
  orange: "#ffa500",
  purple: "#800080",
  magenta: "#ff00ff",
  fuchsia: "#ff00ff",
  pink: "#ffc0cb",
  cyan: "#00ffff",
  aqua: "#00ffff",
  teal: "#008080",
  maroon: "#800000",
  brown: "#a52a2a",
  gray: "#808080",
  grey: "#808080",
  silver: "#c0c0c0",
};

function colourAttr(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hex = normaliseHex(value) ?? NAMED_COLOURS[value.trim().toLowerCase()];
  return hex === undefined ? undefined : nearestIrcColour(hex);
}

/** Characters Matrix text must not smuggle onto IRC: NUL cuts lines, \x01 would start a CTCP request. */
function cleanText(text: string): string {
  return text.toWellFormed().replace(/[\0\x01]/g, "");
}

/** "https://example.org/" and "example.org" are the same link for a reader. */
function sameLink(text: string, href: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .replace(/^(?:https?:\/\/|mailto:)/i, "")
      .replace(/\/+$/, "")
      .toLowerCase();
  return norm(text) === norm(href);
}

interface Anchor {
  href: string;
  text: string;
}

class IrcWriter {
  private readonly lines: string[] = [];
  private line = "";
  private lineHasText = false;
  private emitted: IrcStyle = PLAIN;
  private lastWasSpace = true;

  private bold = 0;
  private italic = 0;
  private underline = 0;
  private strikethrough = 0;
  private monospace = 0;
  private readonly colours: { fg: IrcColour | undefined; bg: IrcColour | undefined }[] = [];

  private pre = 0;
  private skip = 0;
  private quoteDepth = 0;
  private readonly lists: { ordered: boolean; next: number }[] = [];
  private pendingBullet: string | undefined;
  private readonly rows: number[] = [];
  private readonly anchors: Anchor[] = [];
  private readonly undo: (() => void)[][] = [];

  private readonly options: MatrixToIrcOptions;

  constructor(options: MatrixToIrcOptions) {
    this.options = options;
  }

  result(): string {
    this.lineBreak();
    return this.lines.join("\n");
  }

  private style(): IrcStyle {
    const colour = this.colours.at(-1);
    const bg = colour?.bg;
    // IRC cannot set a background alone; pick a readable foreground for it.
    const fg = colour?.fg ?? (bg === undefined ? undefined : contrastingColour(bg));
    return {
      bold: this.bold > 0,
      italic: this.italic > 0,
      underline: this.underline > 0,
      strikethrough: this.strikethrough > 0,
      monospace: this.monospace > 0,
      reverse: false,
      fg,
      bg,
    };
  }

  private lineBreak() {
    if (this.lineHasText) this.lines.push(this.line.replace(/[ \t]+$/, ""));
    this.line = "";
    this.lineHasText = false;
    this.emitted = PLAIN;
    this.lastWasSpace = true;
  }

  private linePrefix(): string {
    let prefix = "> ".repeat(this.quoteDepth);
    if (this.pendingBullet !== undefined) {
      prefix += this.pendingBullet;
      this.pendingBullet = undefined;
    } else if (this.lists.length > 0) {
      prefix += "  ".repeat(this.lists.length);
    }
    return prefix;
  }

  /** Writes text as it should appear, with the codes for the current style in front. */
  private emit(text: string) {
    if (text === "") return;
    if (this.line === "") this.line = this.linePrefix();
    const style = this.style();
    this.line += transitionCodes(this.emitted, style, text) + text;
    this.emitted = style;
    this.lastWasSpace = /[ \t]$/.test(text);
    if (/\S/.test(text)) this.lineHasText = true;
  }

  text(raw: string) {
    if (this.skip > 0) return;
    const text = cleanText(raw);
    for (const anchor of this.anchors) anchor.text += text;
    if (this.pre > 0) {
      text.split(/\r\n|\r|\n/).forEach((part, i) => {
        if (i > 0) this.lineBreak();
        this.emit(part);
      });
      return;
    }
    let collapsed = text.replace(/[ \t\n\r\f]+/g, " ");
    if (this.lastWasSpace && collapsed.startsWith(" ")) collapsed = collapsed.slice(1);
    this.emit(collapsed);
  }

  open(name: string, attribs: Record<string, string>) {
    const undo: (() => void)[] = [];
    this.undo.push(undo);
    if (this.skip > 0 || SKIPPED.has(name)) {
      this.skip++;
      undo.push(() => this.skip--);
      return;
    }
    if (BLOCKS.has(name)) {
      this.lineBreak();
      undo.push(() => this.lineBreak());
    }
    switch (name) {
      case "b":
      case "strong":
      case "h1":
      case "h2":
      case "h3":
      case "h4":
      case "h5":
      case "h6":
      case "dt":
        this.bold++;
        undo.push(() => this.bold--);
        break;
      case "i":
      case "em":
      case "cite":
        this.italic++;
        undo.push(() => this.italic--);
        break;
      case "u":
      case "ins":
        this.underline++;
        undo.push(() => this.underline--);
        break;
      case "del":
      case "s":
      case "strike":
        this.strikethrough++;
        undo.push(() => this.strikethrough--);
        break;
      case "code":
      case "tt":
      case "kbd":
      case "samp":
        this.monospace++;
        undo.push(() => this.monospace--);
        break;
      case "pre":
        this.monospace++;
        this.pre++;
        undo.push(() => {
          this.monospace--;
          this.pre--;
        });
        break;
      case "br":
        this.lineBreak();
        break;
      case "hr":
        this.emit("----");
        this.lineBreak();
        break;
      case "blockquote":
        this.quoteDepth++;
        undo.unshift(() => this.quoteDepth--);
        break;
      case "ul":
      case "ol": {
        const start = Number.parseInt(attribs["start"] ?? "1", 10);
        this.lists.push({ ordered: name === "ol", next: Number.isFinite(start) ? start : 1 });
        undo.unshift(() => this.lists.pop());
        break;
      }
      case "li": {
        const list = this.lists.at(-1);
        const indent = "  ".repeat(Math.max(0, this.lists.length - 1));
        this.pendingBullet = indent + (list?.ordered ? `${list.next++}. ` : "• ");
        undo.unshift(() => {
          this.pendingBullet = undefined;
        });
        break;
      }
      case "tr":
        this.rows.push(0);
        undo.push(() => this.rows.pop());
        break;
      case "td":
      case "th": {
        const cells = this.rows.length > 0 ? this.rows[this.rows.length - 1]! : 0;
        if (cells > 0) this.text(" | ");
        if (this.rows.length > 0) this.rows[this.rows.length - 1] = cells + 1;
        break;
      }
      case "img": {
        // Custom emoji and inline images: their alt text (":partyparrot:") is what a reader can use.
        const alt = attribs["alt"] ?? attribs["title"];
        if (alt !== undefined) this.text(alt);
        break;
      }
      case "a":
        this.openLink(attribs["href"], undo);
        break;
      case "font":
      case "span":
        this.openColour(attribs, undo);
        break;
    }
  }

  close() {
    const undo = this.undo.pop();
    if (undo) for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
  }

  private openLink(rawHref: string | undefined, undo: (() => void)[]) {
    const href = cleanText(rawHref ?? "").replace(/[\s\p{Cc}]/gu, "");
    const userId = userIdFromLink(href);
    if (userId !== undefined) {
      // A mention pill: the user's nick on IRC, which IRC clients highlight; its text otherwise.
      const nick = this.options.resolveMention?.(userId);
      if (nick) {
        this.text(nick.replace(/[\r\n]+/g, " "));
        this.skip++;
        undo.push(() => this.skip--);
      }
      return;
    }
    if (!SHOWN_SCHEMES.test(href)) return;
    const anchor: Anchor = { href, text: "" };
    this.anchors.push(anchor);
    undo.push(() => {
      this.anchors.pop();
      if (anchor.text.trim() === "") this.text(href);
      else if (!sameLink(anchor.text, href)) this.plain(` (${href})`);
    });
  }

  /** Text in the surrounding style's colours but without bold and the like, for additions of our own. */
  private plain(text: string) {
    const saved = [this.bold, this.italic, this.underline, this.strikethrough, this.monospace] as const;
    this.bold = this.italic = this.underline = this.strikethrough = this.monospace = 0;
    this.text(text);
    [this.bold, this.italic, this.underline, this.strikethrough, this.monospace] = saved;
  }

  private openColour(attribs: Record<string, string>, undo: (() => void)[]) {
    const spoiler = attribs["data-mx-spoiler"];
    if (spoiler !== undefined) {
      // IRC has no spoilers; black on black shows the text only when selected.
      this.text(spoiler.trim() === "" ? "[spoiler] " : `[spoiler: ${spoiler.trim()}] `);
      this.colours.push({ fg: 1, bg: 1 });
      undo.push(() => this.colours.pop());
      return;
    }
    const fg = colourAttr(attribs["data-mx-color"] ?? attribs["color"]);
    const bg = colourAttr(attribs["data-mx-bg-color"]);
    if (fg === undefined && bg === undefined) return;
    const parent = this.colours.at(-1);
    this.colours.push({ fg: fg ?? parent?.fg, bg: bg ?? parent?.bg });
    undo.push(() => this.colours.pop());
  }
}

function fromBody(body: string): string {
  return cleanText(body).replace(/\r\n|\r/g, "\n");
}

/**
 * A Matrix message as IRC text: lines separated by "\n", each line formatted on its own. Send it through
 * `splitMessage` (with `carryFormatting`), which makes the actual IRC lines. Without HTML, or when the HTML
 * has no visible text, the body is used as it is.
 */
export function matrixToIrc(input: MatrixMessageText, options: MatrixToIrcOptions = {}): string {
  if (input.html === undefined || input.html === "") return fromBody(input.body);
  const writer = new IrcWriter(options);
  const parser = new Parser(
    {
      onopentag: (name, attribs) => writer.open(name, attribs),
      onclosetag: () => writer.close(),
      ontext: (text) => writer.text(text),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(input.html);
  parser.end();
  const out = writer.result();
  return out.trim() === "" ? fromBody(input.body) : out;
}
