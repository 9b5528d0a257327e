// IRC → Matrix: control codes become the core's neutral rich text (rich-text.ts in bridge-core), from which the core
// makes Matrix HTML. Formatting is a flat series of toggles on IRC and a tree in rich text, so styled runs are
// nested through a stack of open spans that is unwound only as far as a change requires. Colours and reverse video
// have no place in rich text and are dropped; URLs stay text, which Matrix clients linkify.

import { type RemoteUserId, type RichNode, type RichText, remoteUserId } from "bridge-core";
import { applyCode, type IrcStyle, PLAIN, sameStyle, tokenizeIrc } from "./codes.ts";
import { findNickMentions, type MentionOptions } from "./mentions.ts";

export interface IrcToRichTextOptions extends MentionOptions {
  /** Nicks of Matrix users' puppets → their remote user ids; mentions of them become mention nodes. */
  knownNicks?: ReadonlyMap<string, string>;
}

interface Run {
  text: string;
  style: IrcStyle;
  /** Set for a mention; the run is then its nick. */
  user?: RemoteUserId;
}

type Span = "bold" | "italic" | "underline" | "strike";

/** The spans a style needs, outermost first. Monospace is not one: its runs become code nodes. */
function spansOf(style: IrcStyle): Span[] {
  const spans: Span[] = [];
  if (style.bold) spans.push("bold");
  if (style.italic) spans.push("italic");
  if (style.underline) spans.push("underline");
  if (style.strikethrough) spans.push("strike");
  return spans;
}

/** Runs of text in one style, counting only what rich text can show. */
function runsOf(text: string): Run[] {
  const runs: Run[] = [];
  let style: IrcStyle = PLAIN;
  for (const token of tokenizeIrc(text)) {
    if (token.kind === "code") {
      const next = applyCode(style, token.code);
      style = { ...next, reverse: false, fg: undefined, bg: undefined };
      continue;
    }
    const last = runs.at(-1);
    if (last && sameStyle(last.style, style)) last.text += token.text;
    else runs.push({ text: token.text, style });
  }
  return runs;
}

/** Cuts mention ranges out of the runs; a mention keeps the style its first character had. */
function withMentions(runs: Run[], body: string, options: IrcToRichTextOptions): Run[] {
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
    out.push({ text: m.nick, style: styleAt(m.start), user: remoteUserId(m.id) });
    last = m.end;
  }
  plainPiece(last, body.length);
  return out;
}

function leafOf(run: Run): RichNode {
  if (run.user !== undefined) return { type: "mention", user: run.user, name: run.text };
  return run.style.monospace ? { type: "code", text: run.text } : { type: "text", text: run.text };
}

function nest(runs: Run[]): RichText {
  const root: RichNode[] = [];
  const stack: { span: Span; children: RichNode[] }[] = [];
  const children = () => stack.at(-1)?.children ?? root;
  for (const run of runs) {
    if (run.text === "") continue;
    const wanted = spansOf(run.style);
    // Close down to the lowest span no longer wanted; everything above it has to close first anyway.
    const firstUnwanted = stack.findIndex((open) => !wanted.includes(open.span));
    if (firstUnwanted !== -1) stack.length = firstUnwanted;
    for (const span of wanted) {
      if (stack.some((open) => open.span === span)) continue;
      const node = { type: span, children: [] as RichNode[] };
      children().push(node);
      stack.push({ span, children: node.children });
    }
    const leaf = leafOf(run);
    const previous = children().at(-1);
    // Runs that differ only in what rich text drops (a colour) are one text node.
    if (leaf.type === "text" && previous?.type === "text") previous.text += leaf.text;
    else children().push(leaf);
  }
  return root;
}

/** An IRC message as rich text: formatting as spans, known nicks as mentions, line breaks as "\n". */
export function ircToRichText(text: string, options: IrcToRichTextOptions = {}): RichText {
  // IRC lines hold no line breaks, but joined lines might; rich text uses "\n".
  const plainRuns = runsOf(text.replace(/\r\n|\r/g, "\n"));
  const body = plainRuns.map((r) => r.text).join("");
  return nest(withMentions(plainRuns, body, options));
}
