// How Discord's things are named to the core: a guild channel is the remote room `<guild id>_<channel id>` (so that
// its portal alias reads `#discord_<guild id>_<channel id>`; snowflakes are digits, so the `_` parses back), a
// Discord user is the remote user of their id, a message is its id (unique across Discord), and a reaction is
// `<message id>/<user id>/<emoji>`, so that taking it back names the same reaction.

import type { RemoteMessageId, RemoteRoomId, RemoteUserId } from "bridge-core";

const SNOWFLAKE = /^\d{15,21}$/;

export function isSnowflake(value: string): boolean {
  return SNOWFLAKE.test(value);
}

export function channelRoomId(guildId: string, channelId: string): RemoteRoomId {
  return `${guildId}_${channelId}` as RemoteRoomId;
}

/**
 * The guild and channel of a remote room id; null when it is not one of this network's. `<guild id>/<channel id>`
 * is read too, as people write it (`!link <guild id>/<channel id>`); resolveRoom answers with the `_` spelling.
 */
export function parseChannelRoomId(id: RemoteRoomId): { guildId: string; channelId: string } | null {
  const [guildId, channelId, ...rest] = id.split(/[_/]/);
  if (guildId === undefined || channelId === undefined || rest.length > 0) return null;
  return isSnowflake(guildId) && isSnowflake(channelId) ? { guildId, channelId } : null;
}

export const userId = (id: string): RemoteUserId => id as RemoteUserId;
export const messageId = (id: string): RemoteMessageId => id as RemoteMessageId;

export function reactionId(message: string, user: string, emoji: string): RemoteMessageId {
  return `${message}/${user}/${emoji}` as RemoteMessageId;
}

/** The id Discord's own message has, for a remote message id the plugin made (attachments get `<id>.<n>`). */
export function discordMessageId(id: RemoteMessageId): string | null {
  const base = id.split(".")[0] ?? "";
  return isSnowflake(base) ? base : null;
}
