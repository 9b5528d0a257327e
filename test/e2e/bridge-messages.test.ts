// The bridge model end to end with a real Synapse and the test network: portals the remote side creates, ghosts with
// their profiles, and messages, replies, edits, redactions, reactions, typing and receipts in both directions —
// mapped where the network can, readable fallbacks where it cannot — with nothing bridged back where it came from.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  type EventId,
  plainText,
  type RemoteMessageId,
  type RoomId,
  remoteRoomId,
  richText,
} from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { startNewsBridge } from "../harness/news-bridge.ts";
import { useRunDir } from "../harness/run-dir.ts";
import type { OptionalFeature } from "../network/test-network.ts";

describe("messages both ways through the bridge model", () => {
  const runDir = useRunDir("bridge-messages");
  let stack: BridgeStack;
  let alice: TestClient;
  let room: RoomId;
  const news = remoteRoomId("news");
  const ghost = () => `@testnet_carol:${stack.synapse.serverName}`;
  const carol = () => stack.world.users.get("carol" as never)!;

  /** The remote id the bridge gave a Matrix event when it sent it on. */
  const remoteIdOf = (eventId: string) =>
    eventually(async () => {
      const link = await stack.bridge.store.getEventLinkByMatrix(room, eventId as EventId);
      assert.ok(link, `event ${eventId} is mapped`);
      return link.remoteMessageId;
    });

  /** Sends a remote message as Carol and returns the Matrix event it became. */
  async function carolSays(body: string, extra: { replyTo?: RemoteMessageId } = {}) {
    const id = stack.world.newMessageId();
    await stack.world.remote.message({ roomId: news, sender: carol(), id, text: richText(body), ...extra });
    const event = await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === body, {
      roomId: room,
    });
    return { id, eventId: event.event_id! };
  }

  before(async () => {
    ({ stack, alice } = await startNewsBridge(runDir));
  });

  test("a remote message in a room without a portal creates it, sent by the sender's ghost", async () => {
    const id = stack.world.newMessageId();
    await stack.world.remote.message({
      roomId: news,
      sender: carol(),
      id,
      text: richText("first from remote"),
    });
    const link = await stack.bridge.store.getRoomLinkByRemote(news);
    assert.equal(link?.kind, "portal");
    room = await alice.join(`#testnet_news:${stack.synapse.serverName}`);
    assert.equal(room, link?.roomId);
    await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === "first from remote", {
      roomId: room,
    });
    const profile = await alice.request<{ displayname: string }>(
      "GET",
      `/_matrix/client/v3/profile/${encodeURIComponent(ghost())}`,
    );
    assert.equal(profile.displayname, "Carol");
  });

  test("a Matrix user joining the portal brings their puppet into the remote room", async () => {
    const joined = await stack.world.waitForDelivery("membership", (m) => m.sender === alice.userId);
    assert.equal(joined.membership, "join");
    assert.deepEqual(joined.as, { kind: "puppet", remoteUserId: "mx_alice" });
  });

  test("messages go out as the sender's puppet and are mapped to their remote ids", async () => {
    const eventId = await alice.sendText(room, "hello remote");
    const delivered = await stack.world.waitForMessage((m) => plainText(m.text) === "hello remote");
    assert.deepEqual(delivered.as, { kind: "puppet", remoteUserId: "mx_alice" });
    assert.ok(await remoteIdOf(eventId));
  });

  test("remote replies, edits, reactions and deletions arrive as their Matrix forms", async () => {
    const mine = await alice.sendText(room, "a message to answer");
    const mineRemote = await remoteIdOf(mine);
    const reply = await carolSays("carol answers", { replyTo: mineRemote });
    const replyEvent = alice.eventsSeen(room).find((e) => e.event_id === reply.eventId)!;
    assert.deepEqual(replyEvent.content["m.relates_to"], { "m.in_reply_to": { event_id: mine } });

    await stack.world.remote.edit({
      roomId: news,
      sender: carol(),
      target: reply.id,
      text: richText("carol answers, edited"),
    });
    const edit = await alice.waitForEvent(
      (e) => (e.content["m.relates_to"] as { rel_type?: string })?.rel_type === "m.replace",
      { roomId: room },
    );
    assert.equal((edit.content["m.new_content"] as { body: string }).body, "carol answers, edited");
    assert.equal((edit.content["m.relates_to"] as { event_id: string }).event_id, reply.eventId);

    await stack.world.remote.reaction({
      roomId: news,
      sender: carol(),
      id: stack.world.newMessageId(),
      target: mineRemote,
      key: "👍",
    });
    const reaction = await alice.waitForEvent((e) => e.type === "m.reaction", { roomId: room });
    assert.deepEqual(reaction.content["m.relates_to"], {
      rel_type: "m.annotation",
      event_id: mine,
      key: "👍",
    });
    assert.equal(reaction.sender, ghost());

    await stack.world.remote.deletion({ roomId: news, sender: carol(), target: reply.id });
    await alice.waitForEvent(
      (e) => e.type === "m.room.redaction" && (e.redacts ?? e.content["redacts"]) === reply.eventId,
      { roomId: room },
    );
  });

  test("Matrix replies, edits, reactions and redactions reach the network as its own forms", async () => {
    const carolMsg = await carolSays("carol asks a question");
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "> <@testnet_carol> carol asks a question\n\nalice replies",
      "m.relates_to": { "m.in_reply_to": { event_id: carolMsg.eventId } },
    });
    const reply = await stack.world.waitForPost((text) => text === "alice replies");
    assert.equal(
      reply.message.reply?.to,
      carolMsg.id,
      "the reply points at the remote message, the quote fallback is gone",
    );

    const original = await alice.sendText(room, "tpyo");
    const originalRemote = await remoteIdOf(original);
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "* typo",
      "m.new_content": { msgtype: "m.text", body: "typo" },
      "m.relates_to": { rel_type: "m.replace", event_id: original },
    });
    const edit = await stack.world.waitForDelivery("edit", (e) => plainText(e.text) === "typo");
    assert.equal(edit.target, originalRemote);

    await alice.sendEvent(room, "m.reaction", {
      "m.relates_to": { rel_type: "m.annotation", event_id: carolMsg.eventId, key: "🎉" },
    });
    const reaction = await stack.world.waitForDelivery("reaction", (r) => r.key === "🎉");
    assert.equal(reaction.target, carolMsg.id);

    await alice.redact(room, original, "never mind");
    const redaction = await stack.world.waitForDelivery("redaction", (r) => r.target === originalRemote);
    assert.equal(redaction.reason, "never mind");
  });

  /** Restarts the bridge with a plugin that leaves `without` out; an empty list puts everything back. */
  const restartWithout = (without: OptionalFeature[]) =>
    stack.replaceBridge(async () => ({
      ...stack.config,
      network: { ...stack.config.network, config: { ...stack.config.network.config, without } },
    }));

  test("where the network lacks a feature, a readable fallback goes out instead", async () => {
    const carolMsg = await carolSays("carol says something quotable");
    await restartWithout(["replies", "sendEdit", "sendReaction"]);
    try {
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "quoting carol",
        "m.relates_to": { "m.in_reply_to": { event_id: carolMsg.eventId } },
      });
      // The core says what the reply answers; a plugin whose network cannot thread it quotes it.
      const quoted = await stack.world.waitForPost((text) => text.endsWith("quoting carol"));
      assert.equal(quoted.text, "> <Carol> carol says something quotable\nquoting carol");
      assert.deepEqual(
        { author: quoted.message.reply?.author, text: quoted.message.reply?.text },
        { author: "Carol", text: "carol says something quotable" },
      );

      const original = await alice.sendText(room, "helo");
      await remoteIdOf(original);
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "* hello",
        "m.new_content": { msgtype: "m.text", body: "hello" },
        "m.relates_to": { rel_type: "m.replace", event_id: original },
      });
      await stack.world.waitForPost((text) => text === "* hello");

      await alice.sendEvent(room, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: carolMsg.eventId, key: "❤️" },
      });
      const reacted = await stack.world.waitForPost((text) => text.includes("reacted with ❤️"));
      assert.match(reacted.text, /Alice reacted with ❤️/);
      assert.match(reacted.text, /carol says something quotable/, "it says what was reacted to");
    } finally {
      await restartWithout([]);
    }
  });

  test("typing and read receipts cross both ways", async () => {
    await alice.request(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/typing/${encodeURIComponent(alice.userId)}`,
      { typing: true, timeout: 10_000 },
    );
    const typing = await stack.world.waitForDelivery("typing", (t) => t.sender === alice.userId && t.typing);
    assert.equal(typing.remoteRoomId, news);

    const carolMsg = await carolSays("read me");
    await alice.request(
      "POST",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/receipt/m.read/${encodeURIComponent(carolMsg.eventId)}`,
      {},
    );
    const receipt = await stack.world.waitForDelivery("receipt", (r) => r.upTo === carolMsg.id);
    assert.equal(receipt.sender, alice.userId);

    await stack.world.remote.typing({ roomId: news, sender: carol(), typing: true });
    await alice.waitForEvent(
      (e) => e.type === "m.typing" && (e.content["user_ids"] as string[]).includes(ghost()),
      { roomId: room },
    );
  });

  test("nothing is bridged back where it came from", async () => {
    // A message the bridge sent for Alice, echoed back by the network with the same id, is not posted again.
    const eventId = await alice.sendText(room, "echo test");
    const remoteId = await remoteIdOf(eventId);
    await stack.world.remote.message({
      roomId: news,
      sender: carol(),
      id: remoteId,
      text: richText("echo test"),
    });
    await carolSays("a marker after the echo");
    assert.equal(alice.eventsSeen(room).filter((e) => e.content["body"] === "echo test").length, 1);
    // What ghosts said on Matrix never went out to the network.
    await stack.bridge.queue.idle();
    const ghostLines = stack.world.received.filter(
      (m) => plainText(m.text).startsWith("carol") || plainText(m.text) === "read me",
    );
    assert.deepEqual(ghostLines, []);
  });

  test("ghost profiles, remote membership and room details follow the remote side", async () => {
    await stack.world.remote.profile({ id: carol().id, displayName: "Carol Renamed" });
    const profile = await alice.request<{ displayname: string }>(
      "GET",
      `/_matrix/client/v3/profile/${encodeURIComponent(ghost())}`,
    );
    assert.equal(profile.displayname, "Carol Renamed");

    await stack.world.remote.roomInfo({ id: news, name: "News and more", topic: "Everything new" });
    assert.equal((await alice.getState<{ name: string }>(room, "m.room.name"))?.name, "News and more");
    assert.equal((await alice.getState<{ topic: string }>(room, "m.room.topic"))?.topic, "Everything new");

    await stack.world.remote.membership({
      roomId: news,
      sender: carol(),
      membership: "leave",
      reason: "gone home",
    });
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === ghost() && e.content["membership"] === "leave",
      { roomId: room },
    );
  });

  test("metrics count what crossed, and health reports the parts", async () => {
    // Counters live in the process, and the fallback test above restarted the bridge: count this bridge's own.
    for (let i = 0; i < 5; i++) {
      const body = `counted ${i}`;
      await alice.sendText(room, body);
      await stack.world.waitForMessage((m) => plainText(m.text) === body);
      await carolSays(`counted back ${i}`);
    }
    const metrics = await (await fetch(`${stack.files.bridgeUrl}/metrics`)).text();
    const bridged = (direction: string) =>
      metrics
        .split("\n")
        .filter(
          (line) => line.startsWith("bridge_events_total{") && line.includes(`direction="${direction}"`),
        )
        .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
    assert.ok(bridged("matrix_to_remote") >= 5, metrics);
    assert.ok(bridged("remote_to_matrix") >= 5, metrics);
    assert.match(metrics, /bridge_portals \d+/);
    assert.match(metrics, /bridge_transactions_total\{outcome="accepted"\} [1-9]/);
    const health = await fetch(`${stack.files.bridgeUrl}/health`);
    const report = (await health.json()) as { ok: boolean };
    assert.equal(health.status, 200, JSON.stringify(report));
    assert.equal(report.ok, true);
    assert.ok(
      !metrics.includes(stack.registration.as_token) && !metrics.includes(stack.registration.hs_token),
    );
  });
});
