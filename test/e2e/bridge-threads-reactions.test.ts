// The contract's threads, image reactions, sender avatars and portal invitations end to end through the test network
// and a real Synapse: a remote thread as an m.thread and a Matrix thread as the network's, a custom emoji as an image
// reaction (uploaded once) and an image reaction from Matrix as its shortcode, the sender's avatar as a link anyone
// can open, and a plugin command inviting the user into a portal.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { type RoomId, remoteRoomId, richText } from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { startNewsBridge } from "../harness/news-bridge.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("threads, image reactions, avatars and portal invitations through the bridge model", () => {
  const runDir = useRunDir("bridge-threads-reactions");
  let stack: BridgeStack;
  let alice: TestClient;
  let room: RoomId;
  const news = remoteRoomId("news");
  const carol = () => stack.world.users.get("carol" as never)!;

  async function carolSays(
    body: string,
    extra: { threadRoot?: ReturnType<typeof stack.world.newMessageId> } = {},
  ) {
    const id = stack.world.newMessageId();
    await stack.world.remote.message({ roomId: news, sender: carol(), id, text: richText(body), ...extra });
    const event = await alice.waitForEvent((e) => e.content["body"] === body, { roomId: room });
    return { id, event };
  }

  async function upload(data: Uint8Array): Promise<string> {
    const response = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=face.png`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" },
      body: data,
    });
    return ((await response.json()) as { content_uri: string }).content_uri;
  }

  before(async () => {
    ({ stack, alice } = await startNewsBridge(runDir));
    await stack.world.remote.message({
      roomId: news,
      sender: carol(),
      id: stack.world.newMessageId(),
      text: richText("hi"),
    });
    room = await eventually(() => alice.join(`#testnet_news:${stack.synapse.serverName}`));
  });

  test("threads both ways", async () => {
    const root = await carolSays("a thread starts here");
    const inThread = await carolSays("inside it", { threadRoot: root.id });
    assert.deepEqual(inThread.event.content["m.relates_to"], {
      rel_type: "m.thread",
      event_id: root.event.event_id,
      is_falling_back: true,
      "m.in_reply_to": { event_id: root.event.event_id },
    });
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "answered in the thread",
      "m.relates_to": {
        rel_type: "m.thread",
        event_id: root.event.event_id,
        is_falling_back: true,
        "m.in_reply_to": { event_id: inThread.event.event_id },
      },
    });
    const post = await stack.world.waitForPost((text) => text === "answered in the thread");
    assert.equal(post.thread, root.id);
    assert.equal(post.message.reply, undefined, "the fallback reply is no reply");
  });

  test("a custom emoji arrives as an image reaction, uploaded once; an image reaction goes out as its shortcode", async () => {
    const target = await carolSays("react to this");
    const png = randomBytes(700);
    stack.world.customEmoji.set("blob", png);
    const reaction = { roomId: news, sender: carol(), target: target.id };
    await stack.world.reactWithEmoji({ ...reaction, id: stack.world.newMessageId() }, "blob");
    const other = await carolSays("and this");
    await stack.world.reactWithEmoji(
      { ...reaction, target: other.id, id: stack.world.newMessageId() },
      "blob",
    );
    const images = await eventually(async () => {
      const seen = alice
        .eventsSeen(room)
        .filter((e) => e.type === "m.reaction" && e.content["shortcode"] === ":blob:");
      assert.equal(seen.length, 2);
      return seen.map((e) => (e.content["m.relates_to"] as Record<string, unknown>)["key"]);
    });
    assert.match(String(images[0]), /^mxc:\/\//);
    assert.equal(images[0], images[1], "one upload for the emoji");

    await alice.sendEvent(room, "m.reaction", {
      "m.relates_to": { rel_type: "m.annotation", event_id: target.event.event_id, key: images[0] },
      shortcode: ":blob:",
    });
    const sent = await stack.world.waitForDelivery("reaction", (r) => r.target === target.id);
    assert.equal(sent.key, ":blob:");
  });

  test("the sender's avatar reaches the network as a link anyone can open", async () => {
    const face = randomBytes(1500);
    const mxc = await upload(face);
    await alice.request("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/avatar_url`, {
      avatar_url: mxc,
    });
    await alice.waitForEvent((e) => e.type === "m.room.member" && e.content["avatar_url"] === mxc, {
      roomId: room,
    });
    await alice.sendText(room, "with a face");
    const post = await stack.world.waitForPost((text) => text === "with a face");
    const response = await fetch(post.avatar ?? "");
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), face);
  });

  test("a plugin command invites the user into a portal it makes", async () => {
    stack.world.addRoom("attic", { name: "Attic" });
    const dm = await alice.createDirectMessage(`@testnetbot:${stack.synapse.serverName}`);
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith("Hello"), { roomId: dm });
    await alice.sendText(dm, "open attic");
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith("Invited you to #testnet_attic:"), {
      roomId: dm,
    });
    const invited = await alice.waitForInvite();
    assert.equal(await alice.join(invited), await alice.join(`#testnet_attic:${stack.synapse.serverName}`));
  });
});
