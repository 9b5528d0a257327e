// A bridged room's two directions share one queue: what the network says about a Matrix message while that message is
// still being delivered (a read marker, a reaction) is bridged after the delivery, when the message is mapped.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { DirectChats } from "../../src/bridge/direct-chats.ts";
import type { Ghosts } from "../../src/bridge/ghosts.ts";
import { MatrixToRemote } from "../../src/bridge/matrix-to-remote.ts";
import { Naming } from "../../src/bridge/naming.ts";
import { NetworkDoor } from "../../src/bridge/network-door.ts";
import { OutgoingParts } from "../../src/bridge/outgoing-parts.ts";
import type { Portals } from "../../src/bridge/portals.ts";
import { Puppets } from "../../src/bridge/puppets.ts";
import { RemoteToMatrix } from "../../src/bridge/remote-to-matrix.ts";
import {
  type EventId,
  localpartOf,
  type RemoteUserId,
  type RoomId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type UserId,
} from "../../src/ids.ts";
import type { Intent } from "../../src/matrix/intent.ts";
import type { IntentFactory } from "../../src/matrix/intents.ts";
import type { NetworkPlugin } from "../../src/network.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { RoomQueues } from "../../src/pipeline/room-queues.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import type { RoomLink } from "../../src/store/store.ts";
import { captureLogs } from "../matrix/helpers.ts";

const naming = new Naming({
  domain: "example.org",
  botLocalpart: "bridgebot",
  ghostTemplate: "testnet_{id}",
  aliasTemplate: "testnet_{id}",
});
const ROOM = "!room:example.org" as RoomId;
const LOBBY = remoteRoomId("lobby");
const ALICE = "@alice:example.org" as UserId;
const MESSAGE = "$message" as EventId;
const link: RoomLink = { roomId: ROOM, remoteRoomId: LOBBY, kind: "portal", createdAt: 0 };

let dir: string;
let store: LevelStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "room-queue-"));
  store = await LevelStore.open({ path: dir, sync: false });
  await store.putRoomLink(link);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("one queue per bridged room", () => {
  it("bridges a reaction reported while its message is being delivered after the message is mapped, without waiting", async () => {
    const { logger } = captureLogs();
    const queues = new RoomQueues(new KeyedQueue());
    const reactions: { target: EventId; key: string }[] = [];
    const ghost = (userId: UserId) =>
      ({
        userId,
        ensureJoined: async () => undefined,
        react: async (_roomId: RoomId, target: EventId, key: string) => {
          reactions.push({ target, key });
          return "$reaction" as EventId;
        },
      }) as unknown as Intent;
    const intents = {
      bot: ghost(naming.botUserId),
      client: {},
      intentFor: ghost,
    } as unknown as IntentFactory;
    let reported: Promise<void> | undefined;
    const network = {
      info: { id: "testnet", displayName: "Test network" },
      automaticIdentity: async (userId: UserId) => remoteUserId(localpartOf(userId)),
      // The network tells of a reaction to the message before the send has returned its id.
      sendMessage: async () => {
        reported = fromNetwork.reaction({
          roomId: LOBBY,
          sender: { id: remoteUserId("bob"), displayName: "Bob" },
          id: remoteMessageId("reaction-1"),
          target: remoteMessageId("sent-1"),
          key: "👍",
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { remoteMessageId: remoteMessageId("sent-1") };
      },
    } as unknown as NetworkPlugin;
    const puppets = new Puppets({ store, network, doublePuppetIntents: null, domain: "example.org" });
    const fromNetwork = new RemoteToMatrix({
      stopping: new AbortController().signal,
      directChats: {} as DirectChats,
      store,
      intents,
      ghosts: {
        ensure: async (user: { id: RemoteUserId }) => naming.ghostUserId(user.id),
      } as unknown as Ghosts,
      portals: { ensure: (id: typeof LOBBY) => store.getRoomLinkByRemote(id) } as unknown as Portals,
      puppets,
      queues,
      pillOf: (id) => naming.ghostUserId(id),
      bridgeId: "testbridge",
      logger,
      onBridged: () => undefined,
    });
    const door = new NetworkDoor({
      network,
      stopping: new AbortController().signal,
      retryDelaysMs: [],
      logger,
      tell: async () => undefined,
      onBridged: () => undefined,
      onFailed: () => undefined,
    });
    const toNetwork = new MatrixToRemote({
      store,
      intents,
      door,
      parts: new OutgoingParts({
        store,
        bot: intents.bot,
        client: intents.client,
        naming,
        puppets,
        relayTemplate: "{displayname}: {message}",
        avatarOf: async () => undefined,
        displayNameOf: async (_roomId, userId) => localpartOf(userId),
        mediaLink: () => "https://media.example/file",
      }),
      networkName: "Test network",
      tell: async () => undefined,
      logger,
    });

    const started = Date.now();
    // As bridge.ts dispatches a Matrix event: in its room's turn.
    await queues.room(ROOM, () =>
      toNetwork.message(
        link,
        ALICE,
        { type: "m.room.message", event_id: MESSAGE, content: { msgtype: "m.text", body: "hello" } },
        Date.now(),
      ),
    );
    assert.ok(reported, "the network reported the reaction during the delivery");
    await reported;
    assert.deepEqual(reactions, [{ target: MESSAGE, key: "👍" }]);
    assert.ok(Date.now() - started < 1_000, "nothing waited for a timeout");
  });
});
