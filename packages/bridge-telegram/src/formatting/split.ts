// Telegram refuses a message whose text (after its markup is read) is longer than 4096 UTF-16 code units, so longer
// ones go out as several messages, cut at a line break or a space where one is near the end, never inside a
// surrogate pair. Formatting carries over: each part is rendered from its own runs, so a tag open at the cut is closed
// in one part and opened again in the next.

import { type Run, sliceRuns, textOf } from "./rich-text.ts";

/** Where to cut `text` so that no part is longer than `max`. */
export function cutPositions(text: string, max: number): number[] {
  const cuts: number[] = [];
  let pos = 0;
  while (text.length - pos > max) {
    const window = text.slice(pos, pos + max);
    let cut = window.lastIndexOf("\n") + 1;
    if (cut <= max / 2) cut = window.lastIndexOf(" ") + 1;
    if (cut <= max / 2) {
      cut = max;
      const code = text.charCodeAt(pos + cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    pos += cut;
    cuts.push(pos);
  }
  return cuts;
}

/** The runs of each message, in order; parts of only white space (which Telegram refuses as empty) are left out. */
export function splitRuns(runs: readonly Run[], max: number): Run[][] {
  const text = textOf(runs);
  const bounds = [0, ...cutPositions(text, max), text.length];
  const parts: Run[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = sliceRuns(runs, bounds[i]!, bounds[i + 1]!);
    if (textOf(part).trim() !== "") parts.push(part);
  }
  return parts;
}
