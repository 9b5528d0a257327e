// Every id the bridge handles is a branded string, so a Matrix room id can never be passed where a remote room id or
// an event id is expected. The parse functions are the only way to make one from untrusted input.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `@localpart:server` */
export type UserId = Brand<string, "UserId">;
/** `!opaque:server`, or `!opaque` from room version 12 on */
export type RoomId = Brand<string, "RoomId">;
/** `$opaque` */
export type EventId = Brand<string, "EventId">;
/** `#localpart:server` */
export type RoomAlias = Brand<string, "RoomAlias">;
/** `mxc://server/media-id` */
export type MxcUri = Brand<string, "MxcUri">;
/** The homeserver's id for one application service transaction. */
export type TransactionId = Brand<string, "TransactionId">;

/** A room (channel, group, MUC) on the remote network, in the network plugin's own spelling. */
export type RemoteRoomId = Brand<string, "RemoteRoomId">;
/** A user on the remote network, in the network plugin's own spelling. */
export type RemoteUserId = Brand<string, "RemoteUserId">;
/** A message on the remote network, unique within its remote room. */
export type RemoteMessageId = Brand<string, "RemoteMessageId">;

export class InvalidIdError extends Error {
  constructor(kind: string, value: unknown) {
    super(`not a valid ${kind}: ${JSON.stringify(value)?.slice(0, 200)}`);
    this.name = "InvalidIdError";
  }
}

// The server name part: a hostname or IP literal, optionally with a port. Kept permissive on purpose (historical ids
// exist), but never empty and never with whitespace or control characters.
const SERVER = String.raw`[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?`;
const USER_ID = new RegExp(String.raw`^@[\x21-\x39\x3b-\x7e]+:(?:${SERVER})$`);
const ROOM_ALIAS = new RegExp(String.raw`^#[^\s:\x00]+:(?:${SERVER})$`);
const ROOM_ID = /^![\x21-\x7e]+$/;
const EVENT_ID = /^\$[\x21-\x7e]+$/;
const MXC = /^mxc:\/\/[A-Za-z0-9.\-:[\]]+\/[A-Za-z0-9_-]+$/;
const MAX_ID_LENGTH = 255;

function check<T>(kind: string, re: RegExp, value: unknown): T {
  if (typeof value !== "string" || value.length > MAX_ID_LENGTH || !re.test(value)) {
    throw new InvalidIdError(kind, value);
  }
  return value as T;
}

export const parseUserId = (v: unknown): UserId => check("user id", USER_ID, v);
export const parseRoomId = (v: unknown): RoomId => check("room id", ROOM_ID, v);
export const parseEventId = (v: unknown): EventId => check("event id", EVENT_ID, v);
export const parseRoomAlias = (v: unknown): RoomAlias => check("room alias", ROOM_ALIAS, v);
export const parseMxcUri = (v: unknown): MxcUri => check("mxc uri", MXC, v);

export const isUserId = (v: unknown): v is UserId => typeof v === "string" && USER_ID.test(v);
export const isRoomId = (v: unknown): v is RoomId => typeof v === "string" && ROOM_ID.test(v);
export const isEventId = (v: unknown): v is EventId => typeof v === "string" && EVENT_ID.test(v);

/** Remote ids come from the network plugin, which is trusted to spell them consistently. */
export const remoteRoomId = (v: string): RemoteRoomId => v as RemoteRoomId;
export const remoteUserId = (v: string): RemoteUserId => v as RemoteUserId;
export const remoteMessageId = (v: string): RemoteMessageId => v as RemoteMessageId;
export const transactionId = (v: string): TransactionId => v as TransactionId;

/** `@alice:example.org` → `alice` */
export function localpartOf(id: UserId | RoomAlias): string {
  return id.slice(1, id.indexOf(":"));
}

/** `@alice:example.org` → `example.org` */
export function serverNameOf(id: UserId | RoomAlias): string {
  return id.slice(id.indexOf(":") + 1);
}

export function makeUserId(localpart: string, serverName: string): UserId {
  return parseUserId(`@${localpart}:${serverName}`);
}

export function makeRoomAlias(localpart: string, serverName: string): RoomAlias {
  return parseRoomAlias(`#${localpart}:${serverName}`);
}
