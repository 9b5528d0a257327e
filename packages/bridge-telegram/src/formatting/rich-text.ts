// Telegram's formatting model, which both directions go through: text as runs, each with the marks (bold, link, code
// block, …) that apply to it, outermost first — the shape of Telegram's entities, which may overlap. The core's rich
// text is turned into runs and back (rich-text-runs.ts), Telegram's entities and HTML are read into runs and written
// from them, so splitting and relaying work on one shape and never cut through a tag.

export type Mark =
  | { kind: "bold" | "italic" | "underline" | "strike" | "spoiler" | "code" | "blockquote" }
  | { kind: "pre"; language?: string }
  | { kind: "link"; href: string }
  /** A mention of a Telegram user by id (a `text_mention`), for users without a username to write. */
  | { kind: "mention"; userId: number };

export interface Run {
  text: string;
  marks: readonly Mark[];
}

export function sameMark(a: Mark, b: Mark): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "link" && b.kind === "link") return a.href === b.href;
  if (a.kind === "pre" && b.kind === "pre") return a.language === b.language;
  if (a.kind === "mention" && b.kind === "mention") return a.userId === b.userId;
  return true;
}

export const plainRuns = (text: string): Run[] => (text === "" ? [] : [{ text, marks: [] }]);

export const textOf = (runs: readonly Run[]): string => runs.map((r) => r.text).join("");

/** Joins neighbours with the same marks and drops empty runs, so output has no empty or needlessly split tags. */
export function normalizeRuns(runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  for (const run of runs) {
    if (run.text === "") continue;
    const last = out.at(-1);
    if (
      last !== undefined &&
      last.marks.length === run.marks.length &&
      last.marks.every((m, i) => sameMark(m, run.marks[i]!))
    ) {
      out[out.length - 1] = { text: last.text + run.text, marks: last.marks };
    } else {
      out.push(run);
    }
  }
  return out;
}

/** The runs covering `[start, end)` of their text (UTF-16 positions). */
export function sliceRuns(runs: readonly Run[], start: number, end: number): Run[] {
  const out: Run[] = [];
  let pos = 0;
  for (const run of runs) {
    const from = Math.max(start, pos);
    const to = Math.min(end, pos + run.text.length);
    if (from < to) out.push({ text: run.text.slice(from - pos, to - pos), marks: run.marks });
    pos += run.text.length;
  }
  return out;
}

/**
 * Writes runs as markup: a mark stays open across runs that share it, so a code block or a quote spanning several
 * differently formatted runs comes out as one element, not several.
 */
export function renderRuns(
  runs: readonly Run[],
  markup: {
    open(mark: Mark): string;
    close(mark: Mark): string;
    text(text: string, marks: readonly Mark[]): string;
  },
): string {
  let out = "";
  const open: Mark[] = [];
  for (const run of normalizeRuns(runs)) {
    let common = 0;
    while (common < open.length && common < run.marks.length && sameMark(open[common]!, run.marks[common]!))
      common++;
    while (open.length > common) out += markup.close(open.pop()!);
    for (const mark of run.marks.slice(common)) {
      out += markup.open(mark);
      open.push(mark);
    }
    out += markup.text(run.text, run.marks);
  }
  while (open.length > 0) out += markup.close(open.pop()!);
  return out;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
