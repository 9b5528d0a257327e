// Discord takes at most `max_message_length` characters in one message: longer text goes out in pieces, cut at the
// last line break (else space) that fits, so words and, where possible, lines stay whole. Cuts never fall inside a
// surrogate pair.

export function splitMessage(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while ([...rest].length > max) {
    const head = [...rest].slice(0, max).join("");
    const newline = head.lastIndexOf("\n");
    const space = head.lastIndexOf(" ");
    const cut = newline > max / 2 ? newline + 1 : space > max / 2 ? space + 1 : head.length;
    pieces.push(rest.slice(0, cut).replace(/[ \n]$/, ""));
    rest = rest.slice(cut);
  }
  if (rest !== "") pieces.push(rest);
  return pieces;
}
