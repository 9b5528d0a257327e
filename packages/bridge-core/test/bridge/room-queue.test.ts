// A bridged room's two directions share one queue: what the network says about a Matrix message while that message is
// still being delivered (a read marker, a reaction) is bridged after the delivery, when the message is mapped.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixToRemote } from "../../src/bridge/matrix-to-remote.ts";
import { NetworkDoor } from "../../src/bridge/network-door.ts";
import { OutgoingParts } from "../../src/bridge/outgoing-parts.ts";
import { Puppets } from "../../src/bridge/puppets.ts";
import {
  type EventId,
  localpartOf,
  type RoomId,
  remoteMessageId,
  remoteUserId,
  type UserId,
} from "../../src/ids.ts";
import type { Intent } from "../../src/matrix/intent.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { RoomQueues } from "../../src/pipeline/room-queues.ts";
import { captureLogs } from "../matrix/helpers.ts";
import {
  ALICE,
  intentsOf,
  LOBBY,
  link,
  linkedStore,
  naming,
  ROOM,
  remoteToMatrix,
  testNetwork,
} from "./bridge-fixture.ts";

const MESSAGE = "$message" as EventId;

const linked = linkedStore("room-queue-");

describe("one queue per bridged room", () => {
  it("bridges a reaction reported while its message is being delivered after the message is mapped, without waiting", async () => {
    const store = linked();
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
    const intents = intentsOf(ghost);
    let reported: Promise<void> | undefined;
    const network = testNetwork({
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
    });
    const puppets = new Puppets({ store, network, doublePuppetIntents: null, domain: "example.org" });
    const fromNetwork = remoteToMatrix({ store, intents, network, queues, puppets, logger });
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
