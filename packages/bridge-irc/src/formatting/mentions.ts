// IRC → Matrix mentions: IRC has no mention markup, people just write a nick ("alice: hi", "thanks alice").
// Nicks of Matrix users become pills and are listed for `m.mentions`, so those users are notified.

import { escapeHtml, textToHtml, userPermalink } from "./html.ts";

/** How the server folds nick case (ISUPPORT CASEMAPPING). */
export type CaseMapping = "ascii" | "rfc1459" | "strict-rfc1459";

export interface MentionOptions {
  /** Defaults to "rfc1459", the default of most servers. */
  caseMapping?: CaseMapping;
  /**
   * Shortest nick recognised in the middle of a message; shorter ones only count as "nick:" at the start.
   * Nicks such as "so" or "it" would otherwise notify their owner on every other sentence. Default 3.
   */
  minWordLength?: number;
}

export interface NickMention {
  /** UTF-16 offsets into the body. */
  readonly start: number;
  readonly end: number;
  readonly nick: string;
  readonly userId: string;
}

export interface PilledMessage {
  body: string;
  html?: string;
  /** Distinct user ids mentioned, in order of first mention, for `m.mentions.user_ids`. */
  mentions: string[];
}

export function ircLower(nick: string, caseMapping: CaseMapping = "rfc1459"): string {
  let out = nick.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  if (caseMapping === "ascii") return out;
  out = out.replace(/[[\]\\]/g, (c) => (c === "[" ? "{" : c === "]" ? "}" : "|"));
  return caseMapping === "rfc1459" ? out.replace(/~/g, "^") : out;
}

/** Runs of characters a nick can contain; a nick is only a mention when it is a whole run. */
const WORD = /[\p{L}\p{M}\p{N}[\]\\`^_{}|-]+/gu;
/** URLs, so that a nick inside a link's path does not break the link in two. */
const URL = /\b[a-z][a-z0-9+.-]*:\/\/\S+|\bwww\.\S+/giu;

/** Where known nicks are mentioned in `body`, without overlaps, in order. */
export function findNickMentions(
  body: string,
  knownNicks: ReadonlyMap<string, string>,
  options: MentionOptions = {},
): NickMention[] {
  if (knownNicks.size === 0) return [];
  const caseMapping = options.caseMapping ?? "rfc1459";
  const minWordLength = options.minWordLength ?? 3;
  const byLowerNick = new Map<string, string>();
  for (const [nick, userId] of knownNicks) byLowerNick.set(ircLower(nick, caseMapping), userId);

  const urls = [...body.matchAll(URL)].map((m) => [m.index, m.index + m[0].length] as const);
  const inUrl = (start: number, end: number) => urls.some(([s, e]) => start < e && end > s);
  // "nick: ..." or "nick, ..." addresses someone however short the nick is.
  const addressed = /^\s*([^\s:,]+)[:,]/u.exec(body);
  const addressedEnd = addressed ? addressed[0].length - 1 : -1;

  const mentions: NickMention[] = [];
  for (const m of body.matchAll(WORD)) {
    let start = m.index;
    let word = m[0];
    let userId = byLowerNick.get(ircLower(word, caseMapping));
    if (userId === undefined) {
      // "[alice]" or "{alice}": brackets are nick characters, but here they are punctuation.
      const trimmed = /^[[{|]*(.*?)[\]}|]*$/su.exec(word)?.[1] ?? word;
      if (trimmed.length > 0 && trimmed !== word) {
        start += word.indexOf(trimmed);
        word = trimmed;
        userId = byLowerNick.get(ircLower(word, caseMapping));
      }
    }
    if (userId === undefined) continue;
    const end = start + word.length;
    const isAddress = end === addressedEnd;
    if (!isAddress && [...word].length < minWordLength) continue;
    if (inUrl(start, end)) continue;
    mentions.push({ start, end, nick: word, userId });
  }
  return mentions;
}

/** Distinct user ids of the mentions, in order. */
export function mentionedUserIds(mentions: readonly NickMention[]): string[] {
  return [...new Set(mentions.map((m) => m.userId))];
}

export function pillHtml(text: string, userId: string): string {
  return `<a href="${escapeHtml(userPermalink(userId))}">${escapeHtml(text)}</a>`;
}

/**
 * A plain-text IRC message with known nicks turned into pills. `html` is only set when there is a pill; the
 * body stays as written, which is what clients without pills show.
 */
export function nicksToPills(
  body: string,
  knownNicks: ReadonlyMap<string, string>,
  options: MentionOptions = {},
): PilledMessage {
  const mentions = findNickMentions(body, knownNicks, options);
  if (mentions.length === 0) return { body, mentions: [] };
  let html = "";
  let last = 0;
  for (const m of mentions) {
    html += textToHtml(body.slice(last, m.start)) + pillHtml(m.nick, m.userId);
    last = m.end;
  }
  html += textToHtml(body.slice(last));
  return { body, html, mentions: mentionedUserIds(mentions) };
}
