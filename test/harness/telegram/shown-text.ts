// What a Telegram client shows of the bot's messages: the bot writes HTML, and relays a Matrix user's words after
// their name in bold (`**Name**: text`).

/** The text without tags, entities read. */
export function shownText(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** The shown text of a relayed message without the `Name: ` the relay puts first. */
export function relayedText(html: string): string {
  const text = shownText(html);
  return text.slice(text.indexOf(": ") + 2);
}

/** The words of a long relayed message the bot split into `parts` (shown texts), each part's `name: ` taken off. */
export function relayedWords(parts: string[], name: string): string[] {
  return parts
    .join(" ")
    .replaceAll(`${name}: `, "")
    .split(/\s+/)
    .filter((w) => w !== "");
}
