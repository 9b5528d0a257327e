// What the core makes on Matrix of the parts of a remote event that grew the contract: a message in a thread (an
// m.thread relation to the thread's first message, with the reply fallback marked), a custom emoji reaction (its
// image as the key, its shortcode beside it, MSC4027), and a plugin command's portal invitation (Portals.openFor).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Ghosts } from "../../src/bridge/ghosts.ts";
import { PortalPolicy } from "../../src/bridge/portal-policy.ts";
import { Portals } from "../../src/bridge/portals.ts";
import {
  type EventId,
  parseMxcUri,
  type RoomId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type UserId,
} from "../../src/ids.ts";
import type { Intent } from "../../src/matrix/intent.ts";
import type { IntentFactory } from "../../src/matrix/intents.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { captureLogs } from "../matrix/helpers.ts";
import {
  ALICE,
  intentsOf,
  LOBBY,
  linkedStore,
  naming,
  ROOM,
  remoteToMatrix,
  testNetwork,
} from "./bridge-fixture.ts";

const CAROL = { id: remoteUserId("carol"), displayName: "Carol" };

const store = linkedStore("remote-threads-");

/** Remote → Matrix with the homeserver replaced by a recorder of the events sent. */
function fromNetwork() {
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const intentOf = (userId: UserId) =>
    ({
      userId,
      ensureJoined: async () => undefined,
      sendMessage: async (_roomId: RoomId, content: Record<string, unknown>) => {
        sent.push({ type: "m.room.message", content });
        return `$sent${sent.length}` as EventId;
      },
      sendEvent: async (_roomId: RoomId, type: string, content: Record<string, unknown>) => {
        sent.push({ type, content });
        return `$sent${sent.length}` as EventId;
      },
      react: async (_roomId: RoomId, target: EventId, key: string) => {
        sent.push({
          type: "m.reaction",
          content: { "m.relates_to": { rel_type: "m.annotation", event_id: target, key } },
        });
        return `$sent${sent.length}` as EventId;
      },
    }) as unknown as Intent;
  const remote = remoteToMatrix({ store: store(), intents: intentsOf(intentOf), network: testNetwork() });
  return { remote, sent };
}

async function mapped(eventId: string, remoteId: string) {
  await store().putEventLink({
    roomId: ROOM,
    eventId: eventId as EventId,
    remoteRoomId: LOBBY,
    remoteMessageId: remoteMessageId(remoteId),
  });
}

const said = (text: string) => [{ type: "text" as const, text }];

describe("remote threads as Matrix threads", () => {
  it("relates a thread's message to the thread's first event, the reply to it marked as the fallback", async () => {
    const { remote, sent } = fromNetwork();
    await mapped("$root", "r-root");
    await remote.message({
      roomId: LOBBY,
      sender: CAROL,
      id: remoteMessageId("t1"),
      text: said("in it"),
      threadRoot: remoteMessageId("r-root"),
    });
    assert.deepEqual(sent[0]?.content["m.relates_to"], {
      rel_type: "m.thread",
      event_id: "$root",
      is_falling_back: true,
      "m.in_reply_to": { event_id: "$root" },
    });
  });

  it("keeps a real reply inside the thread, not marked as a fallback", async () => {
    const { remote, sent } = fromNetwork();
    await mapped("$root", "r-root");
    await mapped("$answered", "r-answered");
    await remote.message({
      roomId: LOBBY,
      sender: CAROL,
      id: remoteMessageId("t2"),
      text: said("this one"),
      threadRoot: remoteMessageId("r-root"),
      replyTo: remoteMessageId("r-answered"),
    });
    assert.deepEqual(sent[0]?.content["m.relates_to"], {
      rel_type: "m.thread",
      event_id: "$root",
      is_falling_back: false,
      "m.in_reply_to": { event_id: "$answered" },
    });
  });

  it("posts a message of a thread whose first message was never bridged as a plain message", async () => {
    const { remote, sent } = fromNetwork();
    await remote.message({
      roomId: LOBBY,
      sender: CAROL,
      id: remoteMessageId("t3"),
      text: said("orphan"),
      threadRoot: remoteMessageId("r-unknown"),
    });
    assert.equal(sent[0]?.content["body"], "orphan");
    assert.equal(sent[0]?.content["m.relates_to"], undefined);
  });
});

describe("custom emoji reactions as image reactions", () => {
  it("sends the image as the key and the shortcode under both names; a plain emoji stays a plain key", async () => {
    const { remote, sent } = fromNetwork();
    await mapped("$orig", "r-orig");
    const image = parseMxcUri("mxc://example.org/blob");
    await remote.reaction({
      roomId: LOBBY,
      sender: CAROL,
      id: remoteMessageId("x1"),
      target: remoteMessageId("r-orig"),
      key: ":blob:",
      image,
    });
    await remote.reaction({
      roomId: LOBBY,
      sender: CAROL,
      id: remoteMessageId("x2"),
      target: remoteMessageId("r-orig"),
      key: "👍",
    });
    assert.deepEqual(sent, [
      {
        type: "m.reaction",
        content: {
          "m.relates_to": { rel_type: "m.annotation", event_id: "$orig", key: "mxc://example.org/blob" },
          shortcode: ":blob:",
          "com.beeper.reaction.shortcode": ":blob:",
        },
      },
      {
        type: "m.reaction",
        content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$orig", key: "👍" } },
      },
    ]);
  });
});

describe("a plugin command's portal invitation (Portals.openFor)", () => {
  function portals(membership: Record<string, string> = {}) {
    const invited: UserId[] = [];
    const bot = {
      userId: naming.botUserId,
      getState: async (_roomId: RoomId, _type: string, userId: string) =>
        membership[userId] === undefined ? null : { membership: membership[userId] },
      invite: async (_roomId: RoomId, userId: UserId) => void invited.push(userId),
      createRoom: async () => "!made:example.org" as RoomId,
    };
    const network = testNetwork({
      resolveRoom: async (id: string) => (id === "lobby" || id === "attic" ? { id: remoteRoomId(id) } : null),
    });
    const made = new Portals({
      store: store(),
      intents: { bot } as unknown as IntentFactory,
      naming,
      queue: new KeyedQueue(),
      network,
      ghosts: {} as Ghosts,
      bridgeId: "testbridge",
      policy: new PortalPolicy(),
      logger: captureLogs().logger,
    });
    return { made, invited };
  }

  it("invites the user into an existing portal and answers its alias", async () => {
    const { made, invited } = portals();
    assert.equal(await made.openFor(LOBBY, ALICE), "#testnet_lobby:example.org");
    assert.deepEqual(invited, [ALICE]);
  });

  it("invites nobody who is in the room already", async () => {
    const { made, invited } = portals({ [ALICE]: "join" });
    await made.openFor(LOBBY, ALICE);
    assert.deepEqual(invited, []);
  });

  it("makes the portal of a room that has none", async () => {
    const { made, invited } = portals();
    assert.equal(await made.openFor(remoteRoomId("attic"), ALICE), "#testnet_attic:example.org");
    assert.equal((await store().getRoomLinkByRemote(remoteRoomId("attic")))?.roomId, "!made:example.org");
    assert.deepEqual(invited, [ALICE]);
  });

  it("refuses a room the network does not know, and one plumbed into a room of its own", async () => {
    const { made, invited } = portals();
    await assert.rejects(made.openFor(remoteRoomId("nowhere"), ALICE), /cannot have a portal/);
    await store().putRoomLink({
      roomId: "!theirs:example.org" as RoomId,
      remoteRoomId: remoteRoomId("club"),
      kind: "plumbed",
      createdAt: 0,
    });
    await assert.rejects(made.openFor(remoteRoomId("club"), ALICE), /bridged into a room of its own/);
    assert.deepEqual(invited, []);
  });
});
