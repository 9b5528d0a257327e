// How Telegram's numeric ids become the core's remote ids and back. Chats and users keep their decimal spelling
// (group ids are negative: `-1001234567890`); a Matrix message that had to be split into several Telegram messages is
// one remote message whose id lists its parts (`41+42+43`), so an edit or a redaction reaches all of them.

import {
  type RemoteMessageId,
  type RemoteRoomId,
  type RemoteUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
} from "bridge-core";

const CHAT_ID = /^-?[1-9][0-9]{0,19}$/;
const PARTS = /^[1-9][0-9]{0,15}(?:\+[1-9][0-9]{0,15})*$/;

export const chatRoomId = (chatId: number): RemoteRoomId => remoteRoomId(String(chatId));
export const telegramUserId = (userId: number): RemoteUserId => remoteUserId(String(userId));

/** The Telegram chat id a remote room id names, or null when it names none. */
export function chatIdOf(id: RemoteRoomId | string): number | null {
  if (!CHAT_ID.test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

/** The Telegram user id a remote user id names, or null (chats speaking as themselves have negative ids). */
export function userIdOf(id: RemoteUserId | string): number | null {
  return chatIdOf(id);
}

export function messageIdOfParts(parts: readonly number[]): RemoteMessageId {
  if (parts.length === 0) throw new Error("a message has at least one part");
  return remoteMessageId(parts.join("+"));
}

/** The Telegram message ids behind a remote message id, first part first; empty when it names none. */
export function partsOf(id: RemoteMessageId | string): number[] {
  return PARTS.test(id) ? id.split("+").map(Number) : [];
}
