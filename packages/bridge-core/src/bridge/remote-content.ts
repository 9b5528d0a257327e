// Matrix message content for what a remote user wrote: the neutral rich text (rich-text.ts) rendered as a body and,
// when it has formatting, Matrix HTML, with mentions of remote users as pills of their Matrix users.

import { toMatrixHtml } from "../formatting/matrix-html.ts";
import type { EventId, RemoteUserId, UserId } from "../ids.ts";
import type { MediaKind, TextKind } from "../network.ts";
import type { RichText } from "../rich-text.ts";

/** The Matrix user a remote user is shown as: a Matrix user's own identity, or a ghost. */
export type PillOf = (user: RemoteUserId) => UserId;

const TEXT_MSGTYPES: Record<TextKind, string> = { text: "m.text", emote: "m.emote", notice: "m.notice" };
export const MEDIA_MSGTYPES: Record<MediaKind, string> = {
  image: "m.image",
  file: "m.file",
  audio: "m.audio",
  video: "m.video",
};

export function textContent(
  text: RichText,
  kind: TextKind | undefined,
  pillOf: PillOf,
): Record<string, unknown> {
  const { body, html } = toMatrixHtml(text, pillOf);
  return {
    msgtype: TEXT_MSGTYPES[kind ?? "text"],
    body,
    ...(html !== undefined && { format: "org.matrix.custom.html", formatted_body: html }),
  };
}

/**
 * `m.relates_to` for a message answering `replyTo` and/or in the thread started by `threadRoot` (Matrix spec
 * "Threading"). In a thread without a reply of its own, the reply to the root is marked `is_falling_back`: clients
 * with threads ignore it, and those without show the message answering where the thread began. (The spec suggests
 * the thread's latest message there; the core does not follow threads, and the root is the better context anyway.)
 */
export function relationOf(
  replyTo: EventId | undefined,
  threadRoot: EventId | undefined,
): Record<string, unknown> | undefined {
  if (threadRoot !== undefined) {
    return {
      rel_type: "m.thread",
      event_id: threadRoot,
      is_falling_back: replyTo === undefined,
      "m.in_reply_to": { event_id: replyTo ?? threadRoot },
    };
  }
  return replyTo === undefined ? undefined : { "m.in_reply_to": { event_id: replyTo } };
}
