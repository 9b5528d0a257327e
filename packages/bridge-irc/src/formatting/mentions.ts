// IRC → Matrix mentions: IRC has no mention markup, people just write a nick ("alice: hi", "thanks alice").
// Where a known nick is written, irc-to-rich-text.ts makes it a mention, which the core makes a pill that notifies.

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
  /** Who the nick stands for, as `knownNicks` gives it. */
  readonly id: string;
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

/** Where known nicks (nick → whom it stands for) are mentioned in `body`, without overlaps, in order. */
export function findNickMentions(
  body: string,
  knownNicks: ReadonlyMap<string, string>,
  options: MentionOptions = {},
): NickMention[] {
  if (knownNicks.size === 0) return [];
  const caseMapping = options.caseMapping ?? "rfc1459";
  const minWordLength = options.minWordLength ?? 3;
  const byLowerNick = new Map<string, string>();
  for (const [nick, id] of knownNicks) byLowerNick.set(ircLower(nick, caseMapping), id);

  const urls = [...body.matchAll(URL)].map((m) => [m.index, m.index + m[0].length] as const);
  const inUrl = (start: number, end: number) => urls.some(([s, e]) => start < e && end > s);
  // "nick: ..." or "nick, ..." addresses someone however short the nick is.
  const addressed = /^\s*([^\s:,]+)[:,]/u.exec(body);
  const addressedEnd = addressed ? addressed[0].length - 1 : -1;

  const mentions: NickMention[] = [];
  for (const m of body.matchAll(WORD)) {
    let start = m.index;
    let word = m[0];
    let id = byLowerNick.get(ircLower(word, caseMapping));
    if (id === undefined) {
      // "[alice]" or "{alice}": brackets are nick characters, but here they are punctuation.
      const trimmed = /^[[{|]*(.*?)[\]}|]*$/su.exec(word)?.[1] ?? word;
      if (trimmed.length > 0 && trimmed !== word) {
        start += word.indexOf(trimmed);
        word = trimmed;
        id = byLowerNick.get(ircLower(word, caseMapping));
      }
    }
    if (id === undefined) continue;
    const end = start + word.length;
    const isAddress = end === addressedEnd;
    if (!isAddress && [...word].length < minWordLength) continue;
    if (inUrl(start, end)) continue;
    mentions.push({ start, end, nick: word, id });
  }
  return mentions;
}
