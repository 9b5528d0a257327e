// Telegram refuses a message whose text (after its markup is read) is longer than 4096 UTF-16 code units, so a longer
// line goes out in pieces, cut at a line break or a space where one is near the end, never inside a surrogate pair.

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
