// Escaping for HTML we generate. Every piece of remote text goes through here, so a nick saying "<script>"
// arrives as text and an attribute value can never close its quotes.

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Text with its line breaks as `<br>`, since HTML collapses newlines into spaces. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r\n|\r|\n/g, "<br>");
}

/**
 * matrix.to link to a user. The id is percent-encoded except for "@" and ":", which every client expects to
 * see literally; a "/" or "?" in a localpart would otherwise be read as part of the link's path.
 */
export function userPermalink(userId: string): string {
  return `https://matrix.to/#/${encodeURIComponent(userId).replace(/%40/g, "@").replace(/%3A/gi, ":")}`;
}

/** The user id a mention pill points at ("https://matrix.to/#/@u:s" or "matrix:u/u:s"), or undefined. */
export function userIdFromLink(href: string): string | undefined {
  const h = href.trim();
  let raw: string | undefined;
  const matrixTo = /^https?:\/\/matrix\.to\/#\/((?:@|%40)[^/?#]+)/i.exec(h);
  if (matrixTo) raw = matrixTo[1];
  const matrixUri = /^matrix:u\/([^/?#]+)/i.exec(h);
  if (matrixUri) raw = `@${matrixUri[1]}`;
  if (raw === undefined) return undefined;
  try {
    raw = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return /^@[^:\s]+:\S+$/.test(raw) ? raw : undefined;
}
