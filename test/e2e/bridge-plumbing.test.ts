// Plumbed rooms end to end with a real Synapse and the test network: a moderator links an existing room to a remote
// room by command or through the provisioning API, users below power level 50 are refused, the relay carries users
// without a remote identity as "name: text", and unlinking ends it all — without the bridge ever taking the room.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const SECRET = "provisioning-secret-for-tests-0123456789";

describe("plumbed rooms, relay and the provisioning API", () => {
  const runDir = useRunDir("bridge-plumbing");
  let stack: BridgeStack;
  let alice: TestClient;
  let bob: TestClient;
  let room: RoomId;
  const bot = () => stack.bridge.naming.botUserId;

  /** Sends `text` into `roomId` as `who` and returns the bot's next notice there. */
  async function ask(who: TestClient, roomId: string, text: string): Promise<string> {
    const sent = await who.sendText(roomId, text);
    await who.waitForEvent((e) => e.event_id === sent, { roomId });
    const after = who.eventsSeen(roomId).findIndex((e) => e.event_id === sent);
    const reply = await who.waitForEvent(
      (e) =>
        e.sender === bot() &&
        e.content["msgtype"] === "m.notice" &&
        who.eventsSeen(roomId).indexOf(e) > after,
      { roomId },
    );
    return String(reply.content["body"]);
  }

  function provision(
    method: string,
    path: string,
    userId: string | null,
    body?: unknown,
    secret: string | null = SECRET,
  ) {
    const query = userId === null ? "" : `?user_id=${encodeURIComponent(userId)}`;
    return fetch(`${stack.files.bridgeUrl}/_bridge/provision/v1${path}${query}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(secret !== null && { authorization: `Bearer ${secret}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  }

  before(async () => {
    stack = await startBridgeStack({
      runDir: runDir.path,
      network: {
        rooms: [{ id: "townhall", name: "Town hall" }, { id: "locked-room" }],
        automaticIdentities: true,
      },
      extraConfig: { provisioning: { secret: SECRET } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    bob = await registerUser(stack.synapse, "bob", { displayName: "Bob" });
    runDir.addTeardown(() => alice.close());
    runDir.addTeardown(() => bob.close());
    room = await alice.createRoom({ preset: "public_chat", name: "Alice's room" });
    await bob.join(room);
    await alice.invite(room, bot());
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === bot() && e.content["membership"] === "join",
      { roomId: room },
    );
    stack.world.withoutIdentity.add(bob.userId);
  });

  test("users below power level 50 cannot link, and bad requests get clear answers", async () => {
    assert.match(await ask(bob, room, "!link townhall"), /power level 50/);
    assert.match(await ask(alice, room, "!link"), /Usage: !link/);
    assert.match(await ask(alice, room, "!link nowhere"), /nowhere/);
    assert.match(await ask(alice, room, "!link locked-room"), /does not allow bridging/);
    assert.equal(await stack.bridge.store.getRoomLinkByMatrix(room), null);
  });

  test("a moderator links the room; m.bridge is set and the room's power levels are untouched", async () => {
    // Moderators give the bot the power to set room state (m.bridge); the bridge never takes it by itself.
    const power = (await alice.getState<{ users: Record<string, number> }>(room, "m.room.power_levels"))!;
    await alice.sendState(room, "m.room.power_levels", "", {
      ...power,
      users: { ...power.users, [bot()]: 50 },
    });
    const powerBefore = await alice.getState(room, "m.room.power_levels");
    assert.match(await ask(alice, room, "!link townhall"), /Linked/);
    const link = await stack.bridge.store.getRoomLinkByMatrix(room);
    assert.equal(link?.kind, "plumbed");
    assert.equal(link?.linkedBy, alice.userId);
    const bridgeState = await alice.getState<{ bridgebot: string }>(
      room,
      "m.bridge",
      "testnet/testnet/townhall",
    );
    assert.equal(bridgeState?.bridgebot, bot());
    assert.deepEqual(await alice.getState(room, "m.room.power_levels"), powerBefore);
    await alice.sendText(room, "hello town hall");
    const delivered = await stack.world.waitForMessage((m) => plainText(m.text) === "hello town hall");
    assert.equal(delivered.remoteRoomId, "townhall");
  });

  test("a room already linked, or a remote room already bridged, is refused", async () => {
    assert.match(await ask(alice, room, "!link locked-room"), /already linked|townhall/);
  });

  test("relay: off by default, switched by moderators, and then carries 'name: text'", async () => {
    await bob.sendText(room, "can anyone hear me");
    await bob.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).includes("does not relay"),
      { roomId: room },
    );
    assert.match(await ask(bob, room, "!relay on"), /power level 50/);
    assert.match(await ask(alice, room, "!relay on"), /on/i);
    await bob.sendText(room, "now you can");
    // The core hands the text as Bob wrote it and the marks of the relay template; the plugin puts them on.
    const relayed = await stack.world.waitForPost((text) => text === "Bob: now you can");
    assert.deepEqual(relayed.message.as, {
      kind: "relay",
      marks: { displayName: "Bob", before: "Bob: ", after: "" },
    });
    assert.equal(plainText(relayed.message.text), "now you can");
    await bob.sendMessage(room, { msgtype: "m.emote", body: "waves" });
    const emote = await stack.world.waitForMessage(
      (m) => m.kind === "emote" && plainText(m.text) === "waves",
    );
    assert.equal(emote.as.kind === "relay" && emote.as.marks.displayName, "Bob");
    // Users with their own identity still speak as themselves.
    await alice.sendText(room, "still me");
    const own = await stack.world.waitForMessage((m) => plainText(m.text) === "still me");
    assert.deepEqual(own.as, { kind: "puppet", remoteUserId: "mx_alice" });
  });

  test("unlinking removes the link and m.bridge, and the bot leaves", async () => {
    assert.match(await ask(bob, room, "!unlink"), /power level 50/);
    assert.match(await ask(alice, room, "!unlink"), /Unlinked|unlinked/);
    assert.equal(await stack.bridge.store.getRoomLinkByMatrix(room), null);
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === bot() && e.content["membership"] === "leave",
      { roomId: room },
    );
    const cleared = await alice.getState<Record<string, unknown>>(
      room,
      "m.bridge",
      "testnet/testnet/townhall",
    );
    assert.deepEqual(cleared ?? {}, {});
    const before = stack.world.received.length;
    await alice.sendText(room, "after unlink");
    await alice.sendText(room, "after unlink 2");
    await stack.bridge.queue.idle();
    assert.equal(stack.world.received.length, before);
  });

  test("the provisioning API links, lists, relays and unlinks, checking secret and power level", async () => {
    assert.equal((await provision("GET", `/rooms/${room}/links`, alice.userId, undefined, null)).status, 401);
    const wrong = await provision("GET", `/rooms/${room}/links`, alice.userId, undefined, "not-the-secret");
    assert.equal(wrong.status, 403);
    assert.equal(((await wrong.json()) as { errcode: string }).errcode, "M_FORBIDDEN");
    assert.equal((await provision("GET", `/rooms/${room}/links`, null)).status, 400);

    const refused = await provision("POST", `/rooms/${room}/links`, bob.userId, {
      remote_room_id: "townhall",
    });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { errcode: string }).errcode, "M_FORBIDDEN");

    const linked = await provision("POST", `/rooms/${room}/links`, alice.userId, {
      remote_room_id: "townhall",
    });
    assert.equal(linked.status, 200, await linked.clone().text());
    const listed = (await (await provision("GET", `/rooms/${room}/links`, alice.userId)).json()) as {
      links: { remote_room_id: string; kind: string }[];
    };
    assert.deepEqual(
      listed.links.map((l) => [l.remote_room_id, l.kind]),
      [["townhall", "plumbed"]],
    );
    // Reading the links is the moderators' too: a member below 50 is refused and learns nothing of the remote room.
    const peek = await provision("GET", `/rooms/${room}/links`, bob.userId);
    assert.equal(peek.status, 403);
    assert.ok(!(await peek.text()).includes("townhall"));
    assert.equal(
      (await provision("PUT", `/rooms/${room}/relay`, alice.userId, { enabled: true })).status,
      200,
    );
    assert.equal((await stack.bridge.store.getRoomLinkByMatrix(room))?.relay, true);
    await alice.sendText(room, "linked again");
    await stack.world.waitForMessage((m) => plainText(m.text) === "linked again");

    assert.equal((await provision("DELETE", `/rooms/${room}/links`, bob.userId)).status, 403);
    assert.equal((await provision("DELETE", `/rooms/${room}/links`, alice.userId)).status, 200);
    const after = (await (await provision("GET", `/rooms/${room}/links`, alice.userId)).json()) as {
      links: unknown[];
    };
    assert.deepEqual(after.links, []);
  });
});
