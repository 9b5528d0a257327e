// A MatrixEventHandler wired to the real permissions, user gate, encrypted-room handling, Matrix → remote mapping,
// network door, ephemeral handling, command registry and a real store in a temporary directory, with the homeserver and the network
// replaced by recorders: what the bridge would send to Matrix (notices, joins, rooms) and to the network.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DirectChats } from "../../src/bridge/direct-chats.ts";
import type { DisplayNames } from "../../src/bridge/display-names.ts";
import { EncryptedRooms } from "../../src/bridge/encrypted-rooms.ts";
import { MatrixEphemeral } from "../../src/bridge/matrix-ephemeral.ts";
import { MatrixEventHandler } from "../../src/bridge/matrix-events.ts";
import { MatrixRoomActions } from "../../src/bridge/matrix-room-actions.ts";
import { MatrixToRemote } from "../../src/bridge/matrix-to-remote.ts";
import { Naming } from "../../src/bridge/naming.ts";
import { NetworkDoor } from "../../src/bridge/network-door.ts";
import { OutgoingParts } from "../../src/bridge/outgoing-parts.ts";
import { Permissions } from "../../src/bridge/permissions.ts";
import type { Plumbing } from "../../src/bridge/plumbing.ts";
import { Puppets } from "../../src/bridge/puppets.ts";
import { UserGate } from "../../src/bridge/user-gate.ts";
import { registerBuiltinCommands } from "../../src/commands/builtin.ts";
import { CommandRegistry } from "../../src/commands/registry.ts";
import {
  localpartOf,
  type MxcUri,
  type RemoteRoomId,
  type RemoteUserId,
  type RoomId,
  remoteUserId,
  type UserId,
} from "../../src/ids.ts";
import type { Intent } from "../../src/matrix/intent.ts";
import type { IntentFactory } from "../../src/matrix/intents.ts";
import { MembershipCache } from "../../src/matrix/membership-cache.ts";
import type { NetworkPlugin } from "../../src/network.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import type { InboxEntry, MatrixEventJson } from "../../src/store/store.ts";
import { captureLogs } from "../matrix/helpers.ts";

export const naming = new Naming({
  domain: "example.org",
  botLocalpart: "bridgebot",
  ghostTemplate: "testnet_{id}",
  aliasTemplate: "testnet_{id}",
});

/** What one Matrix user (the bot or a ghost) was made to do. */
export interface Said {
  as: UserId;
  action: "notice" | "join" | "leave" | "createRoom";
  roomId: RoomId;
  text?: string;
}

export interface HandlerUnderTest {
  handler: MatrixEventHandler;
  /** The bot's commands: the core's, and any a test registers as a plugin would. */
  commands: CommandRegistry;
  store: LevelStore;
  cache: MembershipCache;
  said: Said[];
  /** What reached the network, as `method` and its argument. */
  network: { method: string; value: Record<string, unknown> }[];
  /** Rooms whose state holds m.room.encryption, as the homeserver would answer. */
  encryptedRooms: Set<RoomId>;
  ghostDms: { roomId: RoomId; inviter: UserId; peer: RemoteUserId }[];
  reopened: { owner: UserId; peer: RemoteUserId }[];
  /** Events the homeserver gives when asked for one by id (an original a reply quotes). */
  timeline: Map<string, MatrixEventJson>;
  /** Matrix users' avatars in every room, as their member events would give them. */
  avatars: Map<UserId, MxcUri>;
  /** Portals plugin commands opened (CommandContext.openPortal), and for whom. */
  opened: { id: RemoteRoomId; userId: UserId }[];
  logs: string[];
  /** Feeds one event as a transaction's timeline (or ephemeral) entry would. */
  handle(event: MatrixEventJson, kind?: InboxEntry["kind"]): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

/** A handler on the store at `dir` (made when absent), so a test can restart it on the same store. */
export async function handlerUnderTest(
  permissions: Record<string, "user" | "admin">,
  dir = mkdtempSync(join(tmpdir(), "event-handler-")),
  /** Optional methods the network lacks (`automaticIdentity`: Matrix users are relayed). */
  lacking: readonly string[] = [],
): Promise<HandlerUnderTest & { dir: string }> {
  const store = await LevelStore.open({ path: dir, sync: false });
  const cache = new MembershipCache();
  const said: Said[] = [];
  const sent: HandlerUnderTest["network"] = [];
  const encryptedRooms = new Set<RoomId>();
  const ghostDms: HandlerUnderTest["ghostDms"] = [];
  const reopened: HandlerUnderTest["reopened"] = [];
  const timeline = new Map<string, MatrixEventJson>();
  const avatars = new Map<UserId, MxcUri>();
  const opened: HandlerUnderTest["opened"] = [];
  let rooms = 0;
  const intentOf = (userId: UserId): Intent =>
    ({
      userId,
      sendNotice: async (roomId: RoomId, text: string) => {
        said.push({ as: userId, action: "notice", roomId, text });
      },
      join: async (roomId: RoomId) => {
        cache.noteMembership(roomId, userId, "join");
        said.push({ as: userId, action: "join", roomId });
        return roomId;
      },
      leave: async (roomId: RoomId, text?: string) => {
        cache.noteMembership(roomId, userId, "leave");
        said.push({ as: userId, action: "leave", roomId, ...(text !== undefined && { text }) });
      },
      getState: async (roomId: RoomId, type: string) =>
        type === "m.room.encryption" && encryptedRooms.has(roomId)
          ? { algorithm: "m.megolm.v1.aes-sha2" }
          : null,
      createRoom: async () => {
        const roomId = `!new${++rooms}:example.org` as RoomId;
        cache.noteMembership(roomId, userId, "join");
        said.push({ as: userId, action: "createRoom", roomId });
        return roomId;
      },
      getEvent: async (_roomId: RoomId, eventId: string) => timeline.get(eventId) ?? null,
    }) as unknown as Intent;
  const bot = intentOf(naming.botUserId);
  const intents = {
    bot,
    cache,
    client: { request: async () => ({ chunk: [] }) },
    intentFor: (userId: UserId) => (userId === naming.botUserId ? bot : intentOf(userId)),
  } as unknown as IntentFactory;
  const record =
    (method: string) =>
    async (value: Record<string, unknown>): Promise<{ remoteMessageId?: string }> => {
      sent.push({ method, value });
      return { remoteMessageId: `r${sent.length}` };
    };
  const network = {
    info: { id: "testnet", displayName: "Test network" },
    sendMessage: record("sendMessage"),
    sendEdit: record("sendEdit"),
    sendRedaction: record("sendRedaction"),
    sendReaction: record("sendReaction"),
    sendTyping: record("sendTyping"),
    sendReadReceipt: record("sendReadReceipt"),
    sendPresence: record("sendPresence"),
    handleMembership: record("handleMembership"),
    handleRoomChange: record("handleRoomChange"),
    handleKick: record("handleKick"),
    handlePowerLevels: record("handlePowerLevels"),
    // Every Matrix user has an identity, as on IRC or XMPP: only the permissions can hold one back.
    automaticIdentity: async (userId: UserId) => remoteUserId(`mx_${localpartOf(userId)}`),
  } as unknown as NetworkPlugin;
  for (const method of lacking) delete (network as unknown as Record<string, unknown>)[method];
  const { logger, lines } = captureLogs();
  const queue = new KeyedQueue();
  const gate = new UserGate({
    permissions: new Permissions(permissions),
    store,
    networkName: "Test network",
    logger,
  });
  const puppets = new Puppets({ store, network, doublePuppetIntents: null, domain: "example.org" });
  const directChats = {
    ghostInvited: async (roomId: RoomId, inviter: UserId, peer: RemoteUserId) => {
      cache.noteMembership(roomId, naming.ghostUserId(peer), "join");
      ghostDms.push({ roomId, inviter, peer });
    },
    reopen: async (owner: UserId, peer: RemoteUserId) => {
      reopened.push({ owner, peer });
    },
  } as unknown as DirectChats;
  const displayNames = { note: () => undefined, of: async (_r: RoomId, u: UserId) => localpartOf(u) };
  const commands = new CommandRegistry("!");
  registerBuiltinCommands(commands, { networkName: "Test network", startedAt: Date.now() });
  const tell = (roomId: RoomId, text: string) => bot.sendNotice(roomId, text).then(() => undefined);
  const door = new NetworkDoor({
    network,
    stopping: new AbortController().signal,
    retryDelaysMs: [],
    logger,
    tell,
    onBridged: () => undefined,
    onFailed: () => undefined,
  });
  const parts = new OutgoingParts({
    store,
    bot,
    client: intents.client,
    naming,
    puppets,
    relayTemplate: "{displayname}: {message}",
    displayNameOf: async (_roomId, userId) => localpartOf(userId),
    avatarOf: async (_roomId, userId) => avatars.get(userId),
    mediaLink: (mxc) => `https://media.example/${mxc}`,
  });
  const toRemote = new MatrixToRemote({
    store,
    intents,
    door,
    parts,
    networkName: "Test network",
    tell,
    logger,
  });
  const handler = new MatrixEventHandler({
    store,
    intents,
    cache,
    naming,
    commands,
    networkName: "Test network",
    crypto: () => null,
    encryptionRequired: false,
    permissions: new Permissions(permissions),
    gate,
    encrypted: new EncryptedRooms({
      store,
      intents,
      naming,
      queue,
      directChats,
      networkName: "Test network",
      logger,
    }),
    plumbing: { forget: async () => null } as unknown as Plumbing,
    puppets,
    displayNames: displayNames as unknown as DisplayNames,
    openPortal: async (id, userId) => {
      opened.push({ id, userId });
      return naming.portalAlias(id);
    },
    toRemote,
    roomActions: new MatrixRoomActions({ door, parts, puppets }),
    directChats,
    ephemeral: new MatrixEphemeral({ store, door, parts, puppets, naming, allows: (u) => gate.allows(u) }),
    bridgeId: "testbridge",
    queue,
    gapCheckDelayMs: 3_600_000,
    logger,
  });
  return {
    dir,
    handler,
    commands,
    store,
    cache,
    said,
    network: sent,
    encryptedRooms,
    ghostDms,
    reopened,
    timeline,
    avatars,
    opened,
    logs: lines,
    async handle(event, kind = "timeline") {
      const outcome = await handler.handle({
        seq: ++seq,
        txnId: "t" as InboxEntry["txnId"],
        kind,
        event,
        receivedAt: Date.now(),
      });
      // As the dispatcher does before the room's next event: the mappings the handling handed on are written.
      await Promise.all(outcome.writes);
    },
    async close() {
      handler.stop();
      await store.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
