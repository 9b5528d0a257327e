// Mention pills: links to a Matrix user, which clients show as the user's name in a bubble.

import { isUserId, type UserId } from "../ids.ts";

/**
 * The matrix.to link to a user. The id is percent-encoded except for "@" and ":", which every client expects to see
 * literally; a "/" or "?" in a localpart would otherwise be read as part of the link's path.
 */
export function userPermalink(userId: UserId): string {
  return `https://matrix.to/#/${encodeURIComponent(userId).replace(/%40/g, "@").replace(/%3A/gi, ":")}`;
}

/** The user a link points at, when it is a pill (`https://matrix.to/#/@u:s`, `matrix:u/u:s`). */
export function pillTarget(href: string): UserId | undefined {
  const link = href.trim();
  const raw =
    /^https?:\/\/matrix\.to\/#\/((?:@|%40)[^/?#]+)/i.exec(link)?.[1] ??
    /^matrix:u\/([^/?#]+)/i.exec(link)?.[1]?.replace(/^/, "@");
  if (raw === undefined) return undefined;
  let userId: string;
  try {
    userId = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return isUserId(userId) ? userId : undefined;
}
