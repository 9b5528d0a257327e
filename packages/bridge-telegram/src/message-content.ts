// What a Telegram message says, as rich text: its text with formatting, or for a message the bridge carries only as
// text (a sticker, a location, a poll, …) a short description with the caption, so that nobody on Matrix misses that
// something was said.

import type { RichText } from "bridge-core";
import type { Message, User } from "node-telegram-bot-api";
import { entitiesToRuns } from "./formatting/entities-to-runs.ts";
import { plainRuns } from "./formatting/rich-text.ts";
import { runsToRichText } from "./formatting/rich-text-runs.ts";

export function displayNameOf(user: Pick<User, "id" | "first_name" | "last_name" | "username">): string {
  const name = [user.first_name, user.last_name].filter((p) => p !== undefined && p.trim() !== "").join(" ");
  return name !== "" ? name : (user.username ?? String(user.id));
}

/** A label for content the bridge does not carry as such, or null for a message without any. */
function describe(message: Message): string | null {
  if (message.sticker) return `[sticker${message.sticker.emoji ? ` ${message.sticker.emoji}` : ""}]`;
  if (message.photo) return "[photo]";
  if (message.animation) return "[animation]";
  if (message.video) return "[video]";
  if (message.video_note) return "[video message]";
  if (message.voice) return "[voice message]";
  if (message.audio) return `[audio${message.audio.title ? ` ${message.audio.title}` : ""}]`;
  if (message.document) return `[file${message.document.file_name ? ` ${message.document.file_name}` : ""}]`;
  if (message.location) return `[location ${message.location.latitude}, ${message.location.longitude}]`;
  if (message.contact) return `[contact ${message.contact.first_name} ${message.contact.phone_number}]`;
  if (message.poll) return `[poll ${message.poll.question}]`;
  if (message.dice) return `[dice ${message.dice.emoji} ${message.dice.value}]`;
  return null;
}

/** A file's caption, or null when it has none. */
export function captionOf(message: Message): RichText | null {
  if (message.caption === undefined || message.caption.trim() === "") return null;
  return runsToRichText(entitiesToRuns(message.caption, message.caption_entities));
}

/** What the message says, or null when it carries nothing to show (a service message). */
export function contentOf(message: Message): RichText | null {
  if (message.text !== undefined) return runsToRichText(entitiesToRuns(message.text, message.entities));
  const label = describe(message);
  if (label === null) return null;
  const caption =
    message.caption !== undefined ? entitiesToRuns(message.caption, message.caption_entities) : [];
  return runsToRichText([
    ...plainRuns(label),
    ...(caption.length > 0 ? [...plainRuns(" "), ...caption] : []),
  ]);
}
