// The bridge model end to end with a real Synapse and the test network, continued: media, big rooms, private chats
// and moderation (power levels, join rules, topics, kicks and bans) in both directions.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId, remoteRoomId, richText } from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { startNewsBridge } from "../harness/news-bridge.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("media, big rooms, private chats and moderation through the bridge model", () => {
  const runDir = useRunDir("bridge-moderation");
  let stack: BridgeStack;
  let alice: TestClient;
  let room: RoomId;
  const news = remoteRoomId("news");
  const ghost = () => `@testnet_carol:${stack.synapse.serverName}`;
  const carol = () => stack.world.users.get("carol" as never)!;

  before(async () => {
    ({ stack, alice } = await startNewsBridge(runDir));
  });

  test("a portal exists, with the Matrix user in it", async () => {
    await stack.world.remote.message({
      roomId: news,
      sender: carol(),
      id: stack.world.newMessageId(),
      text: richText("hi"),
    });
    room = await alice.join(`#testnet_news:${stack.synapse.serverName}`);
    await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === "hi", { roomId: room });
  });

  test("media crosses both ways through the shared mxc helpers", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=dot.png`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" },
      body: png,
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    await alice.sendMessage(room, {
      msgtype: "m.image",
      body: "dot.png",
      url: content_uri,
      info: { mimetype: "image/png", size: png.byteLength },
    });
    const image = await stack.world.waitForMessage((m) => m.media?.kind === "image");
    assert.equal(image.media?.filename, "dot.png");
    assert.equal(image.media?.mimetype, "image/png");
    // The plugin gets the file itself, not where it is on Matrix.
    const fetched = await image.media!.download();
    assert.deepEqual(new Uint8Array(fetched.data), png);

    const photo = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 9, 8, 7]);
    await stack.world.remote.message({
      roomId: news,
      sender: carol(),
      id: stack.world.newMessageId(),
      text: [],
      media: { data: photo, mimetype: "image/jpeg", filename: "photo.jpg", kind: "image" },
    });
    const event = await alice.waitForEvent(
      (e) => e.sender === ghost() && e.content["msgtype"] === "m.image",
      { roomId: room },
    );
    const mxc = String(event.content["url"]).replace("mxc://", "");
    const download = await fetch(`${stack.synapse.url}/_matrix/client/v1/media/download/${mxc}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), photo);
  });

  test("a big remote room's portal starts with a bounded set of ghosts; the rest join when they speak", async () => {
    const crowd = stack.world.addRoom("crowd", { name: "Crowd" });
    const people = Array.from({ length: 70 }, (_, i) => stack.world.addUser(`p${i}`, `Person ${i}`).id);
    stack.world.members.set(crowd, people);
    await stack.world.remote.message({
      roomId: crowd,
      sender: stack.world.users.get(people[0]!)!,
      id: stack.world.newMessageId(),
      text: richText("hi all"),
    });
    const portal = (await stack.bridge.store.getRoomLinkByRemote(crowd))!.roomId;
    const joined = async () => {
      const members = await stack.bridge.intents.bot.joinedMembers(portal);
      return [...members.keys()].filter((u) => u.startsWith("@testnet_p")).length;
    };
    assert.equal(await joined(), 50);
    await stack.world.remote.message({
      roomId: crowd,
      sender: stack.world.users.get(people[65]!)!,
      id: stack.world.newMessageId(),
      text: richText("late speaker"),
    });
    assert.equal(await joined(), 51);
  });

  test("private chats open from either side, one room per pair of people", async () => {
    await stack.world.remote.directMessage({
      from: carol(),
      to: alice.userId,
      id: stack.world.newMessageId(),
      text: richText("psst, alice"),
    });
    const dm = await alice.waitForInvite((e) => e.sender === ghost());
    await alice.join(dm);
    await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === "psst, alice", {
      roomId: dm,
    });
    await alice.sendText(dm, "psst, carol");
    const reply = await stack.world.waitForMessage((m) => plainText(m.text) === "psst, carol");
    assert.equal(reply.direct, "carol");
    assert.deepEqual(reply.as, { kind: "puppet", remoteUserId: "mx_alice" });
    // The next private message from the same person lands in the same room.
    await stack.world.remote.directMessage({
      from: carol(),
      to: alice.userId,
      id: stack.world.newMessageId(),
      text: richText("again"),
    });
    await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === "again", { roomId: dm });

    stack.world.addUser("frank", "Frank");
    const frank = `@testnet_frank:${stack.synapse.serverName}`;
    const started = await alice.createDirectMessage(frank);
    await alice.waitForEvent((e) => e.state_key === frank && e.content["membership"] === "join", {
      roomId: started,
    });
    await alice.sendText(started, "hello frank");
    const toFrank = await stack.world.waitForMessage((m) => plainText(m.text) === "hello frank");
    assert.equal(toFrank.direct, "frank");

    const group = await alice.createRoom({ preset: "private_chat" });
    await alice.invite(group, frank);
    await alice.waitForEvent((e) => e.state_key === frank && e.content["membership"] === "leave", {
      roomId: group,
    });
  });

  test("moderation crosses: remote power levels, join rules, topics and kicks both ways", async () => {
    const me = { id: "mx_alice" as never, displayName: "alice" };
    await stack.world.remote.power({ roomId: news, user: me, level: 50 });
    const power = await alice.getState<{ users: Record<string, number> }>(room, "m.room.power_levels");
    assert.equal(
      power?.users[alice.userId],
      50,
      "the user's own remote identity maps to the user, not a ghost",
    );
    await stack.world.remote.power({ roomId: news, user: carol(), level: 50 });

    await alice.sendState(room, "m.room.topic", "", { topic: "set from Matrix" });
    const change = await stack.world.waitForDelivery("roomChange", (c) => c.topic === "set from Matrix");
    assert.deepEqual(change.as, { kind: "puppet", remoteUserId: "mx_alice" });

    await stack.world.remote.roomInfo({ id: news, joinRule: "invite" });
    assert.equal(
      (await alice.getState<{ join_rule: string }>(room, "m.room.join_rules"))?.join_rule,
      "invite",
    );

    const dave = stack.world.addUser("dave", "Dave");
    await stack.world.remote.membership({ roomId: news, sender: dave, membership: "join" });
    await alice.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/kick`, {
      user_id: `@testnet_dave:${stack.synapse.serverName}`,
      reason: "spam",
    });
    const kick = await stack.world.waitForDelivery("kick", (k) => k.target === "dave");
    assert.equal(kick.reason, "spam");
    assert.equal(kick.ban, false);

    // Kicked on the network, the ghost is removed on Matrix by the bridge bot, with who did it and why.
    await stack.world.remote.kick({
      roomId: news,
      sender: carol(),
      target: stack.world.addUser("eve", "Eve"),
      reason: "bye",
      ban: false,
    });
    await stack.world.remote.membership({
      roomId: news,
      sender: stack.world.users.get("eve" as never)!,
      membership: "join",
    });
    await stack.world.remote.kick({
      roomId: news,
      sender: carol(),
      target: stack.world.users.get("eve" as never)!,
      reason: "flood",
      ban: true,
    });
    const banned = await alice.waitForEvent(
      (e) => e.state_key === `@testnet_eve:${stack.synapse.serverName}` && e.content["membership"] === "ban",
      { roomId: room },
    );
    assert.match(String(banned.content["reason"]), /banned by Carol.*: flood/);
  });
});
