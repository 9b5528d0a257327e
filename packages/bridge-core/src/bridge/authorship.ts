// Who may change a bridged message. Homeservers do not stop anyone from sending an `m.replace` for someone else's
// message, and from room version 3 on they store a redaction by a user without the power (they only do not apply
// it). The bridge's side of the network may still have the right to change the message there — the relay account
// wrote every relayed message, a user's own login may be an admin of the group — so the bridge checks before it
// acts: an edit only from the original's sender, a redaction from its sender or from someone with the room's
// `redact` level.

import type { EventId, RoomId, UserId } from "../ids.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import { effectivePowerLevel, readPowerState } from "./power-levels.ts";

/** The room's `redact` level when its power levels do not say: the spec's default. */
const DEFAULT_REDACT_LEVEL = 50;

/** The sender of a room's event as the homeserver has it (read as the bot), or undefined when it cannot be read. */
export async function senderOf(
  intents: Pick<IntentFactory, "bot">,
  roomId: RoomId,
  eventId: EventId,
): Promise<string | undefined> {
  const event = await intents.bot.getEvent(roomId, eventId).catch(() => null);
  const sender = event?.["sender"];
  return typeof sender === "string" ? sender : undefined;
}

/** Whether `userId` wrote `eventId`; an event the bot cannot read counts as someone else's. */
export async function isAuthor(
  intents: Pick<IntentFactory, "bot">,
  roomId: RoomId,
  eventId: EventId,
  userId: UserId,
): Promise<boolean> {
  return (await senderOf(intents, roomId, eventId)) === userId;
}

/** Whether a redaction of `eventId` by `userId` is one the room's rules allow: their own event, or a moderator's. */
export async function mayRedact(
  intents: Pick<IntentFactory, "bot" | "client">,
  roomId: RoomId,
  eventId: EventId,
  userId: UserId,
): Promise<boolean> {
  if (await isAuthor(intents, roomId, eventId, userId)) return true;
  const { create, powerLevels } = await readPowerState(roomId, intents);
  const raw: unknown = powerLevels?.redact;
  const needed = typeof raw === "number" && Number.isInteger(raw) ? raw : DEFAULT_REDACT_LEVEL;
  return effectivePowerLevel(userId, create, powerLevels) >= needed;
}
