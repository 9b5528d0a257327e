// A Matrix user's message as the bot writes it: every line under the sender's name, in the configured template
// (Telegram HTML with `{displayname}` and `{message}`), since the bot speaks for many people and a line without the
// name would read as the bot's own words, or, written as "Bob: …", as someone else's. A code block or a quote is one
// box in Telegram, in which no line passes for a speaker's, so it is signed once, as a whole. Long messages go out in
// parts of at most Telegram's length, each part starting with the name: a part is a message of its own.

import { htmlToRuns } from "./html-to-runs.ts";
import { normalizeRuns, type Run, sliceRuns, textOf } from "./rich-text.ts";
import { cutPositions } from "./split.ts";

const NAME = "\uE000";
const MESSAGE = "\uE001";

/**
 * The template read once into runs with a placeholder character where each field goes; the fields are put in as
 * runs, so neither a name nor a message is ever read as markup, and a field inherits the template's formatting
 * around it (`<b>{displayname}</b>`).
 */
export class RelayTemplate {
  private readonly runs: Run[];

  constructor(template: string) {
    const marked = template.replace(/\{(displayname|message)\}/g, (_, key: string) =>
      key === "displayname" ? NAME : MESSAGE,
    );
    this.runs = htmlToRuns(marked);
  }

  fill(displayName: string, message: readonly Run[]): Run[] {
    const out: Run[] = [];
    for (const run of this.runs) {
      for (const piece of run.text.split(/([\uE000\uE001])/)) {
        if (piece === NAME) out.push({ text: displayName, marks: run.marks });
        else if (piece === MESSAGE)
          out.push(...message.map((m) => ({ text: m.text, marks: [...run.marks, ...m.marks] })));
        else out.push({ text: piece, marks: run.marks });
      }
    }
    return normalizeRuns(out);
  }
}

/** Puts the sender's name on one line (or box) of a message. */
export type Signature = (line: readonly Run[]) => Run[];

/** The signature of an emote, which reads as an action on every line: "* Name waves". */
export const emoteSignature =
  (displayName: string): Signature =>
  (line) =>
    normalizeRuns([{ text: `* ${displayName} `, marks: [] }, ...line]);

const BOX = new Set(["pre", "blockquote"]);
const inBox = (run: Run) => run.marks.some((m) => BOX.has(m.kind));

/** The message's lines; a line break inside a code block or a quote does not end its line. */
function linesOf(runs: readonly Run[]): Run[][] {
  const lines: Run[][] = [[]];
  for (const run of runs) {
    const pieces = inBox(run) ? [run.text] : run.text.split("\n");
    pieces.forEach((text, i) => {
      if (i > 0) lines.push([]);
      if (text !== "") lines.at(-1)!.push({ text, marks: run.marks });
    });
  }
  return lines;
}

/** A signed line cut into signed pieces of at most `max` when it is longer. */
function signedPieces(line: readonly Run[], sign: Signature, max: number): Run[][] {
  const signed = sign(line);
  if (textOf(signed).length <= max) return [signed];
  const room = Math.max(1, max - textOf(sign([])).length);
  const text = textOf(line);
  const bounds = [0, ...cutPositions(text, room), text.length];
  return bounds.slice(1).map((end, i) => sign(sliceRuns(line, bounds[i]!, end)));
}

/**
 * The runs of each message the bot sends for `runs`: every line signed, lines packed into parts of at most `max`
 * UTF-16 code units (Telegram's count), a line longer than that cut into pieces that are each signed. Empty lines stay
 * as they are, except at a part's start.
 */
export function signedParts(runs: readonly Run[], sign: Signature, max: number): Run[][] {
  const parts: Run[][] = [];
  let current: Run[] = [];
  let length = 0;
  for (const line of linesOf(runs)) {
    const blank = textOf(line).trim() === "";
    const pieces = blank ? [[...line]] : signedPieces(line, sign, max);
    for (const piece of pieces) {
      const size = textOf(piece).length;
      if (current.length > 0 && length + 1 + size <= max) {
        current.push({ text: "\n", marks: [] }, ...piece);
        length += 1 + size;
      } else if (!blank) {
        if (current.length > 0) parts.push(current);
        current = [...piece];
        length = size;
      }
    }
  }
  if (current.length > 0) parts.push(current);
  return parts.map((part) => normalizeRuns(part));
}
