// IRC formatting codes (https://modern.ircdocs.horse/formatting): the tokenizer, the style they build up and
// the shortest codes that recreate a style. Shared by both directions and by the line splitter, so that all
// three agree on where a code ends: a split inside "\x0304,12" would change the colour and leak digits.

export const BOLD = "\x02";
export const ITALIC = "\x1D";
export const UNDERLINE = "\x1F";
export const STRIKETHROUGH = "\x1E";
export const MONOSPACE = "\x11";
export const REVERSE = "\x16";
export const RESET = "\x0F";
export const COLOUR = "\x03";
export const HEX_COLOUR = "\x04";

/** A colour index 0–98 (99 means "default" and is stored as no colour) or a "#rrggbb" hex colour. */
export type IrcColour = number | string;

export interface IrcStyle {
  readonly bold: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
  readonly strikethrough: boolean;
  readonly monospace: boolean;
  readonly reverse: boolean;
  readonly fg: IrcColour | undefined;
  readonly bg: IrcColour | undefined;
}

export const PLAIN: IrcStyle = Object.freeze({
  bold: false,
  italic: false,
  underline: false,
  strikethrough: false,
  monospace: false,
  reverse: false,
  fg: undefined,
  bg: undefined,
});

/** The 16 colours every client knows, in mIRC's palette. */
const STANDARD_COLOURS = [
  "#ffffff", // 0 white
  "#000000", // 1 black
  "#00007f", // 2 blue (navy)
  "#009300", // 3 green
  "#ff0000", // 4 red
  "#7f0000", // 5 brown (maroon)
  "#9c009c", // 6 magenta (purple)
  "#fc7f00", // 7 orange
  "#ffff00", // 8 yellow
  "#00fc00", // 9 light green
  "#009393", // 10 cyan (teal)
  "#00ffff", // 11 light cyan
  "#0000fc", // 12 light blue
  "#ff00ff", // 13 pink
  "#7f7f7f", // 14 grey
  "#d2d2d2", // 15 light grey
] as const;

/** Colours 16–98 of the extended palette; rarer, but clients such as mIRC and HexChat send them. */
// biome-ignore format: a palette reads better as a table
const EXTENDED_COLOURS = [
  "#470000", "#472100", "#474700", "#324700", "#004700", "#00472c", "#004747", "#002747", "#000047", "#2e0047",
  "#470047", "#47002a", "#740000", "#743a00", "#747400", "#517400", "#007400", "#007449", "#007474", "#004074",
  "#000074", "#4b0074", "#740074", "#740045", "#b50000", "#b56300", "#b5b500", "#7db500", "#00b500", "#00b571",
  "#00b5b5", "#0063b5", "#0000b5", "#7500b5", "#b500b5", "#b5006b", "#ff0000", "#ff8c00", "#ffff00", "#b2ff00",
  "#00ff00", "#00ffa0", "#00ffff", "#008cff", "#0000ff", "#a500ff", "#ff00ff", "#ff0098", "#ff5959", "#ffb459",
  "#ffff71", "#cfff60", "#6fff6f", "#65ffc9", "#6dffff", "#59b4ff", "#5959ff", "#c459ff", "#ff66ff", "#ff59bc",
  "#ff9c9c", "#ffd39c", "#ffff9c", "#e2ff9c", "#9cff9c", "#9cffdb", "#9cffff", "#9cd3ff", "#9c9cff", "#dc9cff",
  "#ff9cff", "#ff94d3", "#000000", "#131313", "#282828", "#363636", "#4d4d4d", "#656565", "#818181", "#9f9f9f",
  "#bcbcbc", "#e2e2e2", "#ffffff",
] as const;

/** Hex ("#rrggbb") of a colour, or undefined for an index outside the palette. */
export function colourHex(colour: IrcColour): string | undefined {
  if (typeof colour === "string") return colour;
  return colour < 16 ? STANDARD_COLOURS[colour] : EXTENDED_COLOURS[colour - 16];
}

function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** "#rrggbb" or "#rgb" (any case) → "#rrggbb"; anything else → undefined. */
export function normaliseHex(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(v)) return v;
  if (/^#[0-9a-f]{3}$/.test(v)) return `#${v[1]}${v[1]}${v[2]}${v[2]}${v[3]}${v[3]}`;
  return undefined;
}

/**
 * The nearest of the 16 standard colours. Plain RGB distance picks grey for many saturated colours, so the
 * distance is weighted by the mean red level ("redmean"), a cheap approximation of perceived difference.
 */
export function nearestIrcColour(hex: string): number {
  const [r, g, b] = rgbOf(hex);
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < STANDARD_COLOURS.length; i++) {
    const [r2, g2, b2] = rgbOf(STANDARD_COLOURS[i]!);
    const rMean = (r + r2) / 2;
    const dr = r - r2;
    const dg = g - g2;
    const db = b - b2;
    const distance = (2 + rMean / 256) * dr * dr + 4 * dg * dg + (2 + (255 - rMean) / 256) * db * db;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/** Black or white, whichever reads better on the given background. */
export function contrastingColour(bg: IrcColour): number {
  const [r, g, b] = rgbOf(colourHex(bg) ?? "#ffffff");
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? 1 : 0;
}

/**
 * One formatting code with its parameters. "\x03" takes up to two digits, then a comma and up to two more
 * digits only if a digit follows the comma (otherwise the comma is text); "\x04" the same with six hex digits.
 */
const CODE =
  /\x03(?:(\d{1,2})(?:,(\d{1,2}))?)?|\x04(?:([0-9a-fA-F]{6})(?:,([0-9a-fA-F]{6}))?)?|[\x02\x0F\x11\x16\x1D\x1E\x1F]/g;

export type IrcToken =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "code"; readonly code: string };

/** Text and formatting codes, in order; codes carry their parameters, text never starts with a code's digits. */
export function tokenizeIrc(text: string): IrcToken[] {
  const tokens: IrcToken[] = [];
  let last = 0;
  for (const m of text.matchAll(CODE)) {
    if (m.index > last) tokens.push({ kind: "text", text: text.slice(last, m.index) });
    tokens.push({ kind: "code", code: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) tokens.push({ kind: "text", text: text.slice(last) });
  return tokens;
}

/** The text with every formatting code (and its parameters) removed. */
export function stripIrcFormatting(text: string): string {
  return text.replace(CODE, "");
}

function indexColour(digits: string | undefined): IrcColour | undefined {
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return n === 99 ? undefined : n;
}

/** The style after one code token (as produced by tokenizeIrc). */
export function applyCode(style: IrcStyle, code: string): IrcStyle {
  switch (code[0]) {
    case BOLD:
      return { ...style, bold: !style.bold };
    case ITALIC:
      return { ...style, italic: !style.italic };
    case UNDERLINE:
      return { ...style, underline: !style.underline };
    case STRIKETHROUGH:
      return { ...style, strikethrough: !style.strikethrough };
    case MONOSPACE:
      return { ...style, monospace: !style.monospace };
    case REVERSE:
      return { ...style, reverse: !style.reverse };
    case RESET:
      return PLAIN;
    case COLOUR: {
      const m = /^\x03(\d{1,2})?(?:,(\d{1,2}))?/.exec(code);
      if (m?.[1] === undefined) return { ...style, fg: undefined, bg: undefined };
      return { ...style, fg: indexColour(m[1]), bg: m[2] === undefined ? style.bg : indexColour(m[2]) };
    }
    case HEX_COLOUR: {
      const m = /^\x04([0-9a-fA-F]{6})?(?:,([0-9a-fA-F]{6}))?/.exec(code);
      if (m?.[1] === undefined) return { ...style, fg: undefined, bg: undefined };
      return {
        ...style,
        fg: `#${m[1].toLowerCase()}`,
        bg: m[2] === undefined ? style.bg : `#${m[2].toLowerCase()}`,
      };
    }
    default:
      return style;
  }
}

export function sameStyle(a: IrcStyle, b: IrcStyle): boolean {
  return (
    a.bold === b.bold &&
    a.italic === b.italic &&
    a.underline === b.underline &&
    a.strikethrough === b.strikethrough &&
    a.monospace === b.monospace &&
    a.reverse === b.reverse &&
    a.fg === b.fg &&
    a.bg === b.bg
  );
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The code that sets both colours; `open` when a following ",<digits>" would be read as part of it. */
function colourCode(fg: IrcColour | undefined, bg: IrcColour | undefined): { code: string; open: boolean } {
  if (typeof fg !== "string" && typeof bg !== "string") {
    // Two digits always, so that text starting with a digit is never read as part of the colour.
    const f = twoDigits(fg ?? 99);
    return bg === undefined
      ? { code: `${COLOUR}${f}`, open: true }
      : { code: `${COLOUR}${f},${twoDigits(bg)}`, open: false };
  }
  const hex = (c: IrcColour) => (colourHex(c) ?? "#000000").slice(1);
  if (bg === undefined) return { code: `${HEX_COLOUR}${hex(fg ?? 0)}`, open: true };
  if (fg === undefined) {
    // A hex background needs a hex foreground next to it; "99" then sets the foreground back to default.
    return { code: `${HEX_COLOUR}${hex(contrastingColour(bg))},${hex(bg)}${COLOUR}99`, open: true };
  }
  return { code: `${HEX_COLOUR}${hex(fg)},${hex(bg)}`, open: false };
}

/**
 * Codes that turn style `from` into style `to`, for text starting with `next`. Removing a colour uses a full
 * reset (a bare "\x03" would swallow following digits) and re-applies the rest.
 */
export function transitionCodes(from: IrcStyle, to: IrcStyle, next = ""): string {
  let out = "";
  let cur = from;
  if ((cur.fg !== undefined && to.fg === undefined) || (cur.bg !== undefined && to.bg === undefined)) {
    out += RESET;
    cur = PLAIN;
  }
  let colourLast = false;
  if (to.fg !== cur.fg || to.bg !== cur.bg) {
    const colour = colourCode(to.fg, to.bg);
    out += colour.code;
    colourLast = colour.open;
  }
  const toggles: [boolean, boolean, string][] = [
    [cur.bold, to.bold, BOLD],
    [cur.italic, to.italic, ITALIC],
    [cur.underline, to.underline, UNDERLINE],
    [cur.strikethrough, to.strikethrough, STRIKETHROUGH],
    [cur.monospace, to.monospace, MONOSPACE],
    [cur.reverse, to.reverse, REVERSE],
  ];
  for (const [was, want, code] of toggles) {
    if (was !== want) {
      out += code;
      colourLast = false;
    }
  }
  // A foreground-only colour followed by ",<digit>" would take the digits as a background colour; an empty
  // bold toggle pair keeps them apart.
  if (colourLast && next.startsWith(",")) out += BOLD + BOLD;
  return out;
}
