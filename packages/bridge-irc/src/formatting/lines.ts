// The protocol safety layer. IRC is line-based: a CR or LF inside a parameter ends the command and lets the
// rest be read as a new one (command injection), NUL ends the line on many servers, and a line longer than
// 512 bytes is cut by the server — in the middle of a UTF-8 sequence if need be. Every outgoing line goes
// through here.

import {
  applyCode,
  type IrcStyle,
  PLAIN,
  RESET,
  stripIrcFormatting,
  tokenizeIrc,
  transitionCodes,
} from "./codes.ts";

const LINE_BREAK = /\r\n|\r|\n/;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Text for a single-line context (a topic, a kick reason, a part message): line breaks become spaces, NUL is
 * removed, lone surrogates (not encodable as UTF-8) become U+FFFD. For messages use `splitMessage`, which
 * keeps line breaks as separate lines.
 */
export function sanitizeIrcText(text: string): string {
  return text
    .toWellFormed()
    .replace(/\r\n|\r|\n/g, " ")
    .replace(/\0/g, "");
}

export interface SplitOptions {
  /**
   * Re-apply the formatting in effect at each break at the start of the continuation line, since IRC clients
   * reset formatting with every message. The lines then carry a few more bytes than the input, and lines left
   * with nothing but codes are dropped. Explicit line breaks are not carried across: each line of the input is
   * taken as a message of its own, as `richTextToIrc` produces them.
   */
  carryFormatting?: boolean;
}

interface Unit {
  text: string;
  bytes: number;
  space: boolean;
  /** A formatting code token, which must stay whole. */
  code: boolean;
}

/**
 * Made on the first line too long to send whole: ICU's break iterator, once made, keeps about 9 MB of the process
 * resident (its code and data), which a bridge whose users write short lines need not carry.
 */
let graphemes: Intl.Segmenter | undefined;

/** The line as units that must not be split: formatting codes, grapheme clusters, or code points of an oversized cluster. */
function unitsOf(line: string, maxBytes: number): Unit[] {
  const units: Unit[] = [];
  const push = (text: string, code: boolean) => {
    const bytes = utf8Length(text);
    if (bytes <= maxBytes) {
      units.push({ text, bytes, space: text === " " || text === "\t", code });
      return;
    }
    // A cluster bigger than a whole line (a pile of combining marks) can only be cut between code points.
    for (const cp of text) units.push({ text: cp, bytes: utf8Length(cp), space: false, code });
  };
  for (const token of tokenizeIrc(line)) {
    if (token.kind === "code") push(token.code, true);
    else {
      graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
      for (const { segment } of graphemes.segment(token.text)) push(segment, false);
    }
  }
  return units;
}

function styleAfter(style: IrcStyle, units: readonly Unit[], from: number, to: number): IrcStyle {
  let s = style;
  for (let i = from; i < to; i++) if (units[i]!.code) s = applyCode(s, units[i]!.text);
  return s;
}

/** Where to end a line that holds units [start, limit) when unit `limit` no longer fits. */
function breakPoint(units: readonly Unit[], start: number, limit: number): number {
  let visible = false;
  let lastSpace = -1;
  for (let i = start; i < limit; i++) {
    const u = units[i]!;
    if (u.space) {
      if (visible) lastSpace = i;
    } else if (!u.code) visible = true;
  }
  // After the last space, so that the space stays at the end of the line and no word is cut; a line with no
  // space (a long URL) is cut between grapheme clusters.
  return lastSpace !== -1 ? lastSpace + 1 : limit;
}

function splitLine(line: string, maxBytes: number, carry: boolean, out: string[]) {
  if (utf8Length(line) <= maxBytes) {
    if (line !== "" && (!carry || stripIrcFormatting(line) !== "")) out.push(line);
    return;
  }
  const units = unitsOf(line, maxBytes);
  let style: IrcStyle = PLAIN;
  let i = 0;
  while (i < units.length) {
    let prefix = carry ? transitionCodes(PLAIN, style, units[i]!.text) : "";
    if (utf8Length(prefix) + units[i]!.bytes > maxBytes) prefix = "";
    let bytes = utf8Length(prefix);
    let end = i;
    while (end < units.length && bytes + units[end]!.bytes <= maxBytes) bytes += units[end++]!.bytes;
    if (end < units.length) end = breakPoint(units, i, end);
    const text = units
      .slice(i, end)
      .map((u) => u.text)
      .join("");
    if (!carry || stripIrcFormatting(text) !== "") out.push(prefix + text);
    style = styleAfter(style, units, i, end);
    i = end;
  }
}

/**
 * Splits a message into IRC lines of at most `maxBytes` UTF-8 bytes each. Line breaks (CR, LF, CRLF) in the
 * text start new lines, empty lines are dropped, NUL is removed. Lines are broken after a space where there is
 * one, otherwise between grapheme clusters, never inside a UTF-8 sequence or a formatting code. Spaces at a
 * break stay at the end of the line, so (without `carryFormatting`) the lines joined together are exactly the
 * input without CR, LF and NUL.
 */
export function splitMessage(text: string, maxBytes: number, options: SplitOptions = {}): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4 (one code point), got ${maxBytes}`);
  }
  const out: string[] = [];
  for (const line of text.toWellFormed().replace(/\0/g, "").split(LINE_BREAK)) {
    splitLine(line, maxBytes, options.carryFormatting ?? false, out);
  }
  return out;
}

/**
 * A relayed message as IRC lines: every line, and every piece of a line too long for one IRC line (split as
 * `splitMessage` does), gets the relay marks, so that no piece of one sender's text can read as a line of someone
 * else's. Formatting a piece leaves open is closed before the mark after it.
 */
export function splitRelayed(
  text: string,
  maxBytes: number,
  marks: { before: string; after: string },
): string[] {
  const { before, after } = marks;
  const reset = after === "" ? "" : RESET;
  const budget = Math.max(maxBytes - utf8Length(before) - utf8Length(after) - utf8Length(reset), 32);
  const out: string[] = [];
  for (const line of text.split(LINE_BREAK)) {
    if (line.trim() === "") continue;
    for (const piece of splitMessage(line, budget, { carryFormatting: true })) {
      const styled = stripIrcFormatting(piece) !== piece;
      out.push(before + piece + (styled ? reset : "") + after);
    }
  }
  return out;
}

/** The longest line an IRC server relays, CR LF included (RFC 1459/2812; message tags are counted apart). */
export const IRC_LINE_BYTES = 512;
/** Host length assumed when ours is unknown: the longest DNS label, and what servers cap cloaks at. */
export const UNKNOWN_HOST_LENGTH = 63;

export interface PrivmsgBudgetParams {
  /** Our nick, as the server knows it. */
  nick: string;
  /** Our username as sent in USER; servers without identd prefix it with "~", which is counted. */
  user: string;
  /** Our host as the server shows it (RPL_HOSTHIDDEN, CHGHOST, our own JOIN echo); unknown → 63 bytes. */
  host?: string | undefined;
  target: string;
  command: "PRIVMSG" | "NOTICE";
  /** CTCP ACTION: the text is wrapped as "\x01ACTION text\x01". */
  action?: boolean;
}

/**
 * Bytes of message text that fit in one line as the server relays it to others:
 * `:nick!user@host COMMAND target :text\r\n` ≤ 512, i.e.
 * 512 − (1 + nick + 1 + user + 1 + host + 1 + command + 1 + target + 2 + 2) − (action ? 9 : 0).
 * The relayed line carries our full prefix, which our own line does not, so the prefix is what the budget
 * must leave room for. Never negative.
 */
export function privmsgBudget(params: PrivmsgBudgetParams): number {
  const user = params.user.startsWith("~") ? params.user : `~${params.user}`;
  const hostBytes =
    params.host === undefined || params.host === "" ? UNKNOWN_HOST_LENGTH : utf8Length(params.host);
  const overhead =
    utf8Length(`:${params.nick}!${user}@`) +
    hostBytes +
    utf8Length(` ${params.command} ${params.target} :`) +
    2 + // CR LF
    (params.action ? utf8Length("\x01ACTION \x01") : 0);
  return Math.max(0, IRC_LINE_BYTES - overhead);
}

const NICK_CHAR = /[A-Za-z0-9[\]\\^_{}|-]/;
/** Separators in a display name ("John Smith", "j.smith@work") that become "_" rather than vanish. */
const SEPARATORS = /[\s!"#$%&'()*+,./:;<=>?@`~\p{Cc}]+/gu;

/** Short, stable, nick-safe tag for a name with nothing usable in it, so different such names differ. */
function fallbackNick(name: string): string {
  let hash = 0x811c9dc5;
  for (const c of name) {
    hash ^= c.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `u${hash.toString(36)}`;
}

/**
 * A valid IRC nick from a display name or localpart: accents dropped ("Zoë" → "Zoe"), separators turned into
 * "_", other characters removed, "_" prepended when it would start with a digit or "-", cut to `maxLength`
 * (ISUPPORT NICKLEN). Never empty: a name with nothing usable gets "u" and a hash of the name.
 */
export function sanitizeNick(name: string, maxLength = 30): string {
  const max = Math.max(1, Math.floor(maxLength));
  let nick = name
    .toWellFormed()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(SEPARATORS, " ")
    .trim()
    .replace(/ /g, "_");
  nick = [...nick].filter((c) => NICK_CHAR.test(c)).join("");
  if (nick === "") nick = fallbackNick(name);
  if (/^[0-9-]/.test(nick)) nick = `_${nick}`;
  return nick.slice(0, max);
}

/**
 * Whether a string can be sent as a middle parameter (a channel, a nick, a key): no space, CR, LF or NUL,
 * not empty, not starting with ":" — any of these would change where the parameter ends.
 */
export function isSafeIrcParam(s: string): boolean {
  return s !== "" && !s.startsWith(":") && !/[ \r\n\0]/.test(s);
}
