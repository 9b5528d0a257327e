// The Discord bridge against the Discord API emulator and a real Synapse: a channel's portal on its first message,
// ghosts under their server nicknames, Discord markdown ↔ Matrix formatting, Matrix users speaking through the
// channel's webhook under their names, replies, edits, deletions, reactions and files both ways — and the faults:
// a dropped gateway connection (resumed), a 429 (waited out), restarts of the bridge mid-conversation and a restart of
// Synapse, counted for loss, repeats and order; threads' messages said while the bridge was down caught up.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { DiscordNetwork } from "bridge-discord";
import type { APIMessage, APINewsChannel, APITextChannel, APIUser } from "discord-api-types/v10";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { startDiscordBridgeStack } from "../harness/discord/discord-bridge-stack.ts";
import { DiscordEmulator } from "../harness/discord/discord-emulator.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { tally } from "../harness/tally.ts";

describe("Discord bridge with the Discord API emulator and Synapse", () => {
  const runDir = useRunDir("discord-bridge");
  let emulator: DiscordEmulator;
  let stack: BridgeStack<DiscordNetwork>;
  let alice: TestClient;
  let carol: APIUser;
  let guild: string;
  let channel: APITextChannel | APINewsChannel;
  let room: RoomId;
  const ghost = (user: APIUser) => `@discord_${user.id}:${stack.synapse.serverName}`;
  const fromWebhook = (accept: (m: APIMessage) => boolean, what: string) =>
    emulator.waitForMessage(channel.id, (m) => m.webhook_id !== undefined && accept(m), what);

  before(async () => {
    emulator = await DiscordEmulator.start();
    runDir.addTeardown(() => emulator.stop());
    carol = emulator.createUser("carol", "Carol *Evil*");
    guild = emulator.createGuild("Lobby", carol);
    emulator.setNick(guild, carol.id, "Carol <b>");
    channel = emulator.createChannel(guild, "general", "talk here");
    stack = await startDiscordBridgeStack({
      runDir: runDir.path,
      emulator,
      extraConfig: { bridge: { permissions: { "*": "admin" } } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    runDir.addTeardown(() => {
      assert.ok(
        !readFileSync(stack.files.logPath, "utf8").includes(emulator.botToken),
        "the token is never logged",
      );
    });
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("a channel's portal carries what was said in it, from the ghost under the server nickname", async () => {
    emulator.say(channel.id, carol, "hello **matrix** <3");
    room = await eventuallyJoin(alice, `#discord_${guild}_${channel.id}:${stack.synapse.serverName}`);
    const message = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["body"] === "hello matrix <3",
      {
        roomId: room,
      },
    );
    assert.equal(message.content["formatted_body"], "hello <b>matrix</b> &lt;3");
    const member = await alice.getState(room, "m.room.member", ghost(carol));
    assert.equal(member?.["displayname"], "Carol <b>");
    assert.equal((await alice.getState(room, "m.room.name"))?.["name"], "general");
  });

  test("Matrix messages go out through the channel's webhook under the sender's name, formatting as markdown", async () => {
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "hi **discord** *x*",
      format: "org.matrix.custom.html",
      formatted_body: "hi <strong>discord</strong> *x* <a href='javascript:alert(1)'>y</a>",
    });
    const sent = await fromWebhook((m) => m.content.startsWith("hi "), "alice's message");
    assert.equal(sent.author.username, "Alice");
    assert.equal(sent.content, "hi **discord** \\*x\\* y");
    assert.equal(emulator.webhooksOf(channel.id).length, 1, "one webhook for the channel");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(
      !alice
        .eventsSeen(room)
        .some((e) => e.sender !== alice.userId && String(e.content["body"]).startsWith("hi ")),
      "no echo",
    );
  });

  test("replies, edits and deletions carry over both ways", async () => {
    const question = emulator.say(channel.id, carol, "a discord question");
    const questionEvent = await alice.waitForEvent((e) => e.content["body"] === "a discord question", {
      roomId: room,
    });
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "> <carol> a discord question\n\nthe answer",
      "m.relates_to": { "m.in_reply_to": { event_id: questionEvent.event_id } },
    });
    const answer = await fromWebhook((m) => m.content.endsWith("the answer"), "the answer");
    assert.match(
      answer.content,
      /^> \*\*Carol \\<b>\*\*: a discord question\n/,
      "a webhook quotes what it answers",
    );

    emulator.say(channel.id, carol, "replying from discord", { replyTo: question.id });
    const reply = await alice.waitForEvent((e) => e.content["body"] === "replying from discord", {
      roomId: room,
    });
    const relates = reply.content["m.relates_to"] as Record<string, Record<string, unknown>>;
    assert.equal(relates["m.in_reply_to"]?.["event_id"], questionEvent.event_id);

    emulator.edit(channel.id, question.id, "a better question");
    await alice.waitForEvent(
      (e) =>
        (e.content["m.new_content"] as Record<string, unknown> | undefined)?.["body"] === "a better question",
      { roomId: room },
    );
    const aliceEvent = await alice.sendText(room, "first version");
    const original = await fromWebhook((m) => m.content === "first version", "the original");
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "* second version",
      "m.new_content": { msgtype: "m.text", body: "second version" },
      "m.relates_to": { rel_type: "m.replace", event_id: aliceEvent },
    });
    await fromWebhook((m) => m.id === original.id && m.content === "second version", "the edit in place");
    await alice.redact(room, aliceEvent);
    await waitUntil(() => !emulator.messages(channel.id).some((m) => m.id === original.id), "the deletion");
    emulator.delete(channel.id, question.id);
    await alice.waitForEvent((e) => e.type === "m.room.redaction" && e.redacts === questionEvent.event_id, {
      roomId: room,
    });
  });

  test("reactions from Discord, unicode and custom, reach Matrix and can be taken back", async () => {
    const message = emulator.say(channel.id, carol, "react to me");
    const event = await alice.waitForEvent((e) => e.content["body"] === "react to me", { roomId: room });
    emulator.react(channel.id, message.id, carol, "👍");
    emulator.react(channel.id, message.id, carol, "party:555555555555555555");
    const keys = async (key: string) =>
      alice.waitForEvent(
        (e) =>
          e.type === "m.reaction" &&
          (e.content["m.relates_to"] as Record<string, unknown>)["event_id"] === event.event_id &&
          (e.content["m.relates_to"] as Record<string, unknown>)["key"] === key,
        { roomId: room },
      );
    const thumbs = await keys("👍");
    await keys(":party:");
    emulator.react(channel.id, message.id, carol, "👍", false);
    await alice.waitForEvent((e) => e.type === "m.room.redaction" && e.redacts === thumbs.event_id, {
      roomId: room,
    });
  });

  test("files cross both ways: Discord attachments as Matrix media, Matrix files uploaded to Discord", async () => {
    const png = randomBytes(3000);
    emulator.say(channel.id, carol, "", {
      files: [{ name: "cat.png", data: png, contentType: "image/png" }],
    });
    const image = await alice.waitForEvent((e) => e.content["msgtype"] === "m.image", { roomId: room });
    assert.equal(image.content["body"], "cat.png");
    const pdf = randomBytes(5000);
    const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=report.pdf`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "application/pdf" },
      body: pdf,
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    await alice.sendMessage(room, {
      msgtype: "m.file",
      body: "report.pdf",
      url: content_uri,
      info: { mimetype: "application/pdf", size: pdf.byteLength },
    });
    const sent = await fromWebhook((m) => m.attachments.length > 0, "the file");
    assert.equal(sent.attachments[0]?.filename, "report.pdf");
    assert.deepEqual(Buffer.from(await (await fetch(sent.attachments[0]?.url ?? "")).arrayBuffer()), pdf);
  });

  test("a dropped gateway connection resumes: what was said meanwhile arrives once, in order", async (t) => {
    emulator.dropGateway();
    const said = Array.from({ length: 10 }, (_, i) => `while the gateway was down ${i}`);
    for (const body of said) emulator.say(channel.id, carol, body);
    await alice.waitForEvent((e) => e.content["body"] === said.at(-1), { roomId: room });
    tally(t, "Discord → Matrix across a resume", said, bodiesFrom(alice, room, ghost(carol)));
  });

  test("a 429 holds the webhook's messages for retry_after; all arrive, in order", async (t) => {
    emulator.rateLimitNext(2, 1);
    const burst = [1, 2, 3].map((n) => `burst ${n}`);
    for (const body of burst) await alice.sendText(room, body);
    await fromWebhook((m) => m.content === "burst 3", "the last of the burst");
    tally(
      t,
      "Matrix → Discord through 429s",
      burst,
      emulator.messages(channel.id).map((m) => m.content),
    );
    assert.equal(emulator.calls.filter((c) => c.status === 429).length, 2);
  });

  test("restarts of the bridge mid-conversation lose nothing and repeat nothing", async (t) => {
    const toMatrix: string[] = [];
    const toDiscord: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        const body = `discord round ${round} message ${i}`;
        toMatrix.push(body);
        emulator.say(channel.id, carol, body);
        const matrixBody = `matrix round ${round} message ${i}`;
        toDiscord.push(matrixBody);
        await alice.sendText(room, matrixBody);
      }
      await stack.restartBridge();
      // Said while the bridge starts again: fetched from the channel's history or delivered by the gateway, once.
      const during = `discord said during restart ${round}`;
      toMatrix.push(during);
      emulator.say(channel.id, carol, during);
    }
    await alice.waitForEvent((e) => e.content["body"] === toMatrix.at(-1), {
      roomId: room,
      timeoutMs: 60_000,
    });
    await fromWebhook((m) => m.content === toDiscord.at(-1), "the last Matrix message");
    tally(t, "Discord → Matrix across restarts", toMatrix, bodiesFrom(alice, room, ghost(carol)));
    tally(
      t,
      "Matrix → Discord across restarts",
      toDiscord,
      emulator.messages(channel.id).map((m) => m.content),
    );
  });

  test("thread messages said while the bridge was down are caught up into their Matrix threads", async () => {
    const rootOf = async (body: string) =>
      (await alice.waitForEvent((e) => e.content["body"] === body, { roomId: room, timeoutMs: 30_000 }))
        .content["m.relates_to"] as Record<string, unknown> | undefined;
    const starter = emulator.say(channel.id, carol, "a thread before the stop");
    const starterEvent = await alice.waitForEvent((e) => e.content["body"] === "a thread before the stop", {
      roomId: room,
    });
    const thread = emulator.admin.createThread(channel.id, "old", carol, starter.id);
    emulator.say(thread.id, carol, "in the thread before the stop");
    assert.equal((await rootOf("in the thread before the stop"))?.["event_id"], starterEvent.event_id);
    await stack.replaceBridge(async () => {
      emulator.say(thread.id, carol, "in the old thread while down");
      const newStarter = emulator.say(channel.id, carol, "a thread started while down");
      emulator.say(
        emulator.admin.createThread(channel.id, "new", carol, newStarter.id).id,
        carol,
        "in the new thread",
      );
    });
    assert.equal((await rootOf("in the old thread while down"))?.["event_id"], starterEvent.event_id);
    const newStarterEvent = await alice.waitForEvent(
      (e) => e.content["body"] === "a thread started while down",
      {
        roomId: room,
      },
    );
    assert.deepEqual(await rootOf("in the new thread"), {
      rel_type: "m.thread",
      event_id: newStarterEvent.event_id,
      is_falling_back: true,
      "m.in_reply_to": { event_id: newStarterEvent.event_id },
    });
    const bodies = alice.eventsSeen(room).map((e) => e.content["body"]);
    assert.equal(bodies.filter((b) => b === "in the old thread while down").length, 1, "caught up once");
  });

  test("after Synapse restarts, messages cross both ways again: counted for loss, repeats and order", async (t) => {
    await stack.synapse.stop();
    await stack.synapse.start();
    const toDiscord = Array.from({ length: 10 }, (_, i) => `matrix after the Synapse restart ${i}`);
    for (const body of toDiscord) await alice.sendText(room, body);
    await fromWebhook((m) => m.content === toDiscord.at(-1), "the last Matrix message");
    const toMatrix = Array.from({ length: 10 }, (_, i) => `discord after the Synapse restart ${i}`);
    for (const body of toMatrix) emulator.say(channel.id, carol, body);
    await alice.waitForEvent((e) => e.content["body"] === toMatrix.at(-1), {
      roomId: room,
      timeoutMs: 60_000,
    });
    tally(
      t,
      "Matrix → Discord after a Synapse restart",
      toDiscord,
      emulator.messages(channel.id).map((m) => m.content),
    );
    tally(t, "Discord → Matrix after a Synapse restart", toMatrix, bodiesFrom(alice, room, ghost(carol)));
  });
});

function bodiesFrom(client: TestClient, room: RoomId, sender: string): string[] {
  return client
    .eventsSeen(room)
    .filter((e) => e.sender === sender && e.type === "m.room.message")
    .map((e) => String(e.content["body"]));
}

async function eventuallyJoin(client: TestClient, alias: string): Promise<RoomId> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await client.join(alias);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
