// The setup the bridging tests share. For the remote side: a store in a temporary folder with a portal linked, and
// Remote → Matrix on it with the homeserver and the network replaced by fakes. For the Matrix side: a relaying portal
// behind the whole event handler (event-handler-harness.ts), with a way to map a Matrix event to a remote message.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "node:test";
import type { DirectChats } from "../../src/bridge/direct-chats.ts";
import type { Ghosts } from "../../src/bridge/ghosts.ts";
import type { Portals } from "../../src/bridge/portals.ts";
import { Puppets } from "../../src/bridge/puppets.ts";
import { RemoteToMatrix } from "../../src/bridge/remote-to-matrix.ts";
import {
  parseRoomId,
  parseUserId,
  type RemoteRoomId,
  type RemoteUserId,
  type RoomId,
  remoteMessageId,
  remoteRoomId,
  type UserId,
} from "../../src/ids.ts";
import type { Logger } from "../../src/log.ts";
import type { Intent } from "../../src/matrix/intent.ts";
import type { IntentFactory } from "../../src/matrix/intents.ts";
import type { NetworkPlugin } from "../../src/network.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { RoomQueues } from "../../src/pipeline/room-queues.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import type { RoomLink } from "../../src/store/store.ts";
import { captureLogs } from "../matrix/helpers.ts";
import { type HandlerUnderTest, handlerUnderTest, naming, removeDir } from "./event-handler-harness.ts";

export { type HandlerUnderTest, naming };

export const ALICE = parseUserId("@alice:example.org");

/** The remote room every test bridges, and the Matrix room linked to it in the store of `linkedStore`. */
export const LOBBY = remoteRoomId("lobby");
export const ROOM = parseRoomId("!room:example.org");
export const link: RoomLink = { roomId: ROOM, remoteRoomId: LOBBY, kind: "portal", createdAt: 0 };

/** A new store for each test, in a temporary folder, with `link` in it; returns the current test's store. */
export function linkedStore(prefix: string): () => LevelStore {
  let dir: string;
  let store: LevelStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    store = await LevelStore.open({ path: dir, sync: false });
    await store.putRoomLink(link);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  return () => store;
}

/** The test network: its name, and whatever methods a test gives it. */
export function testNetwork(methods: Record<string, unknown> = {}): NetworkPlugin {
  return { info: { id: "testnet", displayName: "Test network" }, ...methods } as unknown as NetworkPlugin;
}

/** The bot and every ghost acting through `intentOf`, a fake of the homeserver's client. */
export function intentsOf(intentOf: (userId: UserId) => Intent): IntentFactory {
  return { bot: intentOf(naming.botUserId), client: {}, intentFor: intentOf } as unknown as IntentFactory;
}

/** Remote → Matrix on `store`: every remote user's ghost already there, every portal one the store links. */
export function remoteToMatrix(options: {
  store: LevelStore;
  intents: IntentFactory;
  network: NetworkPlugin;
  queues?: RoomQueues;
  puppets?: Puppets;
  logger?: Logger;
}): RemoteToMatrix {
  const { store, intents, network } = options;
  return new RemoteToMatrix({
    stopping: new AbortController().signal,
    directChats: {} as DirectChats,
    store,
    intents,
    ghosts: {
      ensure: async (user: { id: RemoteUserId }) => naming.ghostUserId(user.id),
    } as unknown as Ghosts,
    portals: { ensure: (id: RemoteRoomId) => store.getRoomLinkByRemote(id) } as unknown as Portals,
    puppets:
      options.puppets ?? new Puppets({ store, network, doublePuppetIntents: null, domain: "example.org" }),
    queues: options.queues ?? new RoomQueues(new KeyedQueue()),
    pillOf: (id) => naming.ghostUserId(id),
    bridgeId: "testbridge",
    logger: options.logger ?? captureLogs().logger,
    onBridged: () => undefined,
  });
}

/** The relaying portal of the Matrix-side tests, linked to LOBBY. */
export const PORTAL = parseRoomId("!portal:example.org");

let sent = 0;

/** An event Alice sends, in PORTAL unless told otherwise, under an event id of its own. */
export const fromAlice = (type: string, content: Record<string, unknown>, roomId: RoomId = PORTAL) => ({
  type,
  event_id: `$e${++sent}`,
  room_id: roomId,
  sender: ALICE,
  origin_server_ts: Date.now(),
  content,
});

/**
 * Gives each test that asks a handler with PORTAL linked as a relaying portal, and closes it after the test;
 * `lacking` names plugin methods the network does not have.
 */
export function relayingPortal(): (lacking?: string[]) => Promise<HandlerUnderTest> {
  let t: (HandlerUnderTest & { dir: string }) | undefined;

  afterEach(async () => {
    await t?.close();
    if (t) removeDir(t.dir);
    t = undefined;
  });

  return async (lacking = []) => {
    t = await handlerUnderTest({ [ALICE]: "user" }, undefined, lacking);
    await t.store.putRoomLink({
      roomId: PORTAL,
      remoteRoomId: LOBBY,
      kind: "portal",
      relay: true,
      createdAt: Date.now(),
    });
    return t;
  };
}

/** Maps a Matrix event in PORTAL to a remote message, as a bridged one is, and lets the homeserver give it. */
export async function bridged(
  h: HandlerUnderTest,
  eventId: string,
  remoteId: string,
  body: string,
  sender = "@carol:example.org",
): Promise<void> {
  await h.store.putEventLink({
    roomId: PORTAL,
    eventId: eventId as never,
    remoteRoomId: LOBBY,
    remoteMessageId: remoteMessageId(remoteId),
  });
  h.timeline.set(eventId, { type: "m.room.message", sender, content: { msgtype: "m.text", body } });
}
