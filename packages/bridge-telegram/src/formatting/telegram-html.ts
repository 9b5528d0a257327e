// Runs → Telegram's HTML (parse_mode HTML), which Telegram reads into the message's entities. Telegram accepts a
// narrow subset and refuses a message whose markup breaks its rules, so the marks are first reduced to what it
// allows: nothing inside code, no link inside a link, no quote inside a quote. Every character of text is escaped.

import { escapeHtml, type Mark, type Run, renderRuns } from "./rich-text.ts";

/** The marks Telegram can show on one stretch of text, outermost first. */
export function telegramMarks(marks: readonly Mark[]): Mark[] {
  const kept: Mark[] = [];
  const seen = new Set<Mark["kind"]>();
  const code = marks.find((m) => m.kind === "pre" || m.kind === "code");
  for (const mark of marks) {
    // A mention is a link too, and Telegram takes no link inside a link.
    const kind = mark.kind === "mention" ? "link" : mark.kind;
    if (seen.has(kind)) continue;
    if (code !== undefined && mark !== code && mark.kind !== "blockquote") continue;
    // A code span inside a code block is the block itself.
    if (kind === "code" && seen.has("pre")) continue;
    seen.add(kind);
    kept.push(mark);
  }
  return kept;
}

const TAGS: Record<Exclude<Mark["kind"], "pre" | "link" | "mention">, string> = {
  bold: "b",
  italic: "i",
  underline: "u",
  strike: "s",
  spoiler: "tg-spoiler",
  code: "code",
  blockquote: "blockquote",
};

function open(mark: Mark): string {
  if (mark.kind === "link") return `<a href="${escapeHtml(mark.href)}">`;
  // Telegram makes a text_mention of it, which works for users without a username.
  if (mark.kind === "mention") return `<a href="tg://user?id=${mark.userId}">`;
  if (mark.kind === "pre")
    return mark.language !== undefined
      ? `<pre><code class="language-${escapeHtml(mark.language)}">`
      : "<pre>";
  return `<${TAGS[mark.kind]}>`;
}

function close(mark: Mark): string {
  if (mark.kind === "link" || mark.kind === "mention") return "</a>";
  if (mark.kind === "pre") return mark.language !== undefined ? "</code></pre>" : "</pre>";
  return `</${TAGS[mark.kind]}>`;
}

export function runsToTelegramHtml(runs: readonly Run[]): string {
  return renderRuns(
    runs.map((r) => ({ text: r.text, marks: telegramMarks(r.marks) })),
    { open, close, text: (text) => escapeHtml(text) },
  );
}
