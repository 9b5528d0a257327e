// IRC → Matrix: control codes become the HTML subset Matrix clients accept (`org.matrix.custom.html`).
// Formatting is a flat series of toggles on IRC and a tree in HTML, so styled runs are rendered through a
// stack of open tags that is unwound only as far as a change requires.

import { applyCode, colourHex, type IrcStyle, PLAIN, sameStyle, tokenizeIrc } from "./codes.ts";
import { escapeHtml, textToHtml } from "./html.ts";
import { findNickMentions, type MentionOptions, pillHtml } from "./mentions.ts";

export interface IrcToMatrixOptions extends MentionOptions {
  /** Nicks of Matrix users on the IRC side → their user ids; mentions of them become pills. */
  knownNicks?: ReadonlyMap<string, string>;
}

export interface MatrixText {
  /** The text with every formatting code removed, line breaks as "\n". */
  body: string;
  /** Only when something is formatted or mentioned. */
  html?: string;
  /** User ids mentioned (see `knownNicks`), for `m.mentions.user_ids`. */
  mentions: string[];
}

interface Run {
  text: string;
  style: IrcStyle;
  /** Set for a mention pill; the run is then one link. */
  userId?: string;
}

type TagKind = "b" | "i" | "u" | "del" | "font" | "code";

interface OpenTag {
  kind: TagKind;
  /** The opening tag as written; two font tags are the same only with the same colours. */
  open: string;
}

function isStyled(style: IrcStyle): boolean {
  return (
    style.bold ||
    style.italic ||
    style.underline ||
    style.strikethrough ||
    style.monospace ||
    style.fg !== undefined ||
    style.bg !== undefined
  );
}

/** The tags a style needs, outermost first. Reverse video has no Matrix equivalent and is dropped. */
function tagsFor(style: IrcStyle): OpenTag[] {
  const tags: OpenTag[] = [];
  if (style.bold) tags.push({ kind: "b", open: "<b>" });
  if (style.italic) tags.push({ kind: "i", open: "<i>" });
  if (style.underline) tags.push({ kind: "u", open: "<u>" });
  if (style.strikethrough) tags.push({ kind: "del", open: "<del>" });
  const fg = style.fg === undefined ? undefined : colourHex(style.fg);
  const bg = style.bg === undefined ? undefined : colourHex(style.bg);
  if (fg !== undefined || bg !== undefined) {
    // `color` as well as `data-mx-color`, for clients that predate the latter.
    const attrs = [
      fg !== undefined ? `color="${escapeHtml(fg)}" data-mx-color="${escapeHtml(fg)}"` : "",
      bg !== undefined ? `data-mx-bg-color="${escapeHtml(bg)}"` : "",
    ].filter((a) => a !== "");
    tags.push({ kind: "font", open: `<font ${attrs.join(" ")}>` });
  }
  if (style.monospace) tags.push({ kind: "code", open: "<code>" });
  return tags;
}

function runsOf(text: string): Run[] {
  const runs: Run[] = [];
  let style: IrcStyle = PLAIN;
  for (const token of tokenizeIrc(text)) {
    if (token.kind === "code") {
      style = applyCode(style, token.code);
      continue;
    }
    const last = runs.at(-1);
    if (last && sameStyle(last.style, style)) last.text += token.text;
    else runs.push({ text: token.text, style });
  }
  return runs;
}

/** Cuts mention ranges out of the runs; a pill keeps the style its first character had. */
function withPills(runs: Run[], body: string, options: IrcToMatrixOptions): Run[] {
  if (!options.knownNicks) return runs;
  const mentions = findNickMentions(body, options.knownNicks, options);
  if (mentions.length === 0) return runs;
  const starts: number[] = [];
  let offset = 0;
  for (const run of runs) {
    starts.push(offset);
    offset += run.text.length;
  }
  const styleAt = (pos: number): IrcStyle => {
    for (let i = runs.length - 1; i >= 0; i--) if (starts[i]! <= pos) return runs[i]!.style;
    return PLAIN;
  };
  const out: Run[] = [];
  const plainPiece = (from: number, to: number) => {
    for (let i = 0; i < runs.length; i++) {
      const s = Math.max(from, starts[i]!);
      const e = Math.min(to, starts[i]! + runs[i]!.text.length);
      if (s < e) out.push({ text: body.slice(s, e), style: runs[i]!.style });
    }
  };
  let last = 0;
  for (const m of mentions) {
    plainPiece(last, m.start);
    out.push({ text: m.nick, style: styleAt(m.start), userId: m.userId });
    last = m.end;
  }
  plainPiece(last, body.length);
  return out;
}

function render(runs: Run[]): string {
  let html = "";
  const stack: OpenTag[] = [];
  for (const run of runs) {
    if (run.text === "") continue;
    const wanted = tagsFor(run.style);
    const keep = (tag: OpenTag) => wanted.some((w) => w.open === tag.open);
    // Close down to the lowest tag no longer wanted; everything above it has to close first anyway.
    const firstUnwanted = stack.findIndex((tag) => !keep(tag));
    if (firstUnwanted !== -1) {
      while (stack.length > firstUnwanted) html += `</${stack.pop()!.kind}>`;
    }
    for (const tag of wanted) {
      if (!stack.some((open) => open.open === tag.open)) {
        stack.push(tag);
        html += tag.open;
      }
    }
    html += run.userId === undefined ? textToHtml(run.text) : pillHtml(run.text, run.userId);
  }
  while (stack.length > 0) html += `</${stack.pop()!.kind}>`;
  return html;
}

/**
 * An IRC message as Matrix text. Reverse video is dropped; URLs are left as text, which clients linkify.
 */
export function ircToMatrix(text: string, options: IrcToMatrixOptions = {}): MatrixText {
  // IRC lines hold no line breaks, but joined lines might; Matrix bodies use "\n".
  const plainRuns = runsOf(text.replace(/\r\n|\r/g, "\n"));
  const body = plainRuns.map((r) => r.text).join("");
  const runs = withPills(plainRuns, body, options);
  const mentions = [...new Set(runs.flatMap((r) => (r.userId === undefined ? [] : [r.userId])))];
  const formatted = runs.some((r) => r.text !== "" && (isStyled(r.style) || r.userId !== undefined));
  return formatted ? { body, html: render(runs), mentions } : { body, mentions };
}
