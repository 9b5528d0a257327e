// Reading the parts of Matrix event content the bridge acts on. Content comes from other people's clients, so
// nothing here trusts a field's type.

import { type EventId, isEventId, type MxcUri, parseMxcUri } from "../ids.ts";

export type Json = Record<string, unknown>;

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const obj = (v: unknown): Json =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};

const relatesTo = (content: Json): Json => obj(content["m.relates_to"]);

/**
 * The event a message replies to (`m.in_reply_to`). In a thread, a reply marked `is_falling_back` is only there for
 * clients without threads (it names the thread's latest message), so it is no reply.
 */
export function replyTarget(content: Json): EventId | undefined {
  const rel = relatesTo(content);
  if (rel["rel_type"] === "m.thread" && rel["is_falling_back"] === true) return undefined;
  const id = obj(rel["m.in_reply_to"])["event_id"];
  return isEventId(id) ? id : undefined;
}

/** The first event of the thread a message is in (`rel_type: m.thread`, Matrix spec "Threading"). */
export function threadRoot(content: Json): EventId | undefined {
  const rel = relatesTo(content);
  const root = rel["event_id"];
  return rel["rel_type"] === "m.thread" && isEventId(root) ? root : undefined;
}

/** For an edit (`m.replace`): the edited event and the new content. */
export function editOf(content: Json): { target: EventId; newContent: Json } | undefined {
  const rel = relatesTo(content);
  const target = rel["event_id"];
  if (rel["rel_type"] !== "m.replace" || !isEventId(target)) return undefined;
  return { target, newContent: obj(content["m.new_content"]) };
}

/**
 * For a reaction (`m.annotation`): the event reacted to and the key (usually an emoji). An image reaction (MSC4027:
 * an mxc key) is its shortcode as `:name:`, since the network cannot open the image; without a shortcode it is none.
 */
export function reactionOf(content: Json): { target: EventId; key: string } | undefined {
  const rel = relatesTo(content);
  const target = rel["event_id"];
  const key = str(rel["key"]);
  if (rel["rel_type"] !== "m.annotation" || !isEventId(target) || key === undefined) return undefined;
  if (!key.startsWith("mxc://")) return { target, key };
  const name = (str(content["shortcode"]) ?? str(content[UNSTABLE_SHORTCODE]))?.replace(/^:|:$/g, "").trim();
  return name ? { target, key: `:${name}:` } : undefined;
}

/** Where clients that predate MSC4027's stable name put a reaction image's shortcode (Element sends both). */
export const UNSTABLE_SHORTCODE = "com.beeper.reaction.shortcode";

/** The redacted event: `redacts` moved into the content in room version 11. */
export function redactionTarget(event: Json): EventId | undefined {
  const id = event["redacts"] ?? obj(event["content"])["redacts"];
  return isEventId(id) ? id : undefined;
}

/**
 * Replies used to carry a quote of the original ("> <@a:b> text" lines and `<mx-reply>`); the network gets the
 * reply as a reply (or as our own quote), so the old fallback is taken out.
 */
export function stripReplyFallback(body: string, html: string | undefined): { body: string; html?: string } {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith(">")) i++;
  const strippedBody = i > 0 && lines[i] === "" ? lines.slice(i + 1).join("\n") : body;
  const strippedHtml = html?.replace(/^<mx-reply>[\s\S]*?<\/mx-reply>/, "");
  return strippedHtml === undefined ? { body: strippedBody } : { body: strippedBody, html: strippedHtml };
}

/** The file of a media message, when the content names a valid mxc URL. */
export function mediaOf(
  content: Json,
): { url: MxcUri; mimetype?: string; size?: number; filename: string } | undefined {
  let url: MxcUri;
  try {
    url = parseMxcUri(content["url"]);
  } catch {
    return undefined;
  }
  const info = obj(content["info"]);
  const mimetype = str(info["mimetype"]);
  const size = typeof info["size"] === "number" ? info["size"] : undefined;
  const filename = str(content["filename"]) ?? str(content["body"]) ?? "file";
  return { url, filename, ...(mimetype !== undefined && { mimetype }), ...(size !== undefined && { size }) };
}
