// The Telegram bridge against the Bot API emulator (telegram-test-api) and a real Synapse: a group's portal on its
// first activity, ghosts named after Telegram users, text with formatting both ways, Matrix users relayed by the bot,
// replies, edits and redactions both ways, joins and leaves, Telegram's 429s honoured without losing a message —
// and hostile input (HTML in names and text, 10 kB messages, updates of unknown kinds) with nothing lost or injected.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { tally } from "../harness/tally.ts";
import { relayedText, relayedWords, shownText } from "../harness/telegram/shown-text.ts";
import type {
  BotMessage,
  TelegramEmulator,
  TelegramTestGroup,
  TelegramTestUser,
} from "../harness/telegram/telegram-emulator.ts";
import {
  CAROL as carol,
  DAVE as dave,
  GROUP as group,
  startTelegramSuite,
} from "../harness/telegram/telegram-suite.ts";

describe("Telegram bridge with the Bot API emulator and Synapse", () => {
  const runDir = useRunDir("telegram-bridge");
  let emulator: TelegramEmulator;
  let stack: BridgeStack<TelegramNetwork>;
  let alice: TestClient;
  let room: RoomId;
  let ghost: (user: TelegramTestUser) => string;
  let alias: () => string;
  const portalsCreated = () =>
    readFileSync(stack.files.logPath, "utf8").split('"msg":"portal created"').length - 1;

  before(async () => {
    const suite = await startTelegramSuite(runDir);
    ({ emulator, stack, alice, ghost } = suite);
    alias = () => suite.alias();
  });

  test("a group's first message opens its portal, from the sender's ghost with their name and photo", async () => {
    const avatar = randomBytes(2000);
    await emulator.addFile("carol-avatar", avatar);
    await emulator.setProfilePhoto(carol, "carol-avatar");
    const started = Date.now();
    await emulator.say(group, carol, "hello matrix <3");
    // The message itself makes the portal: nobody has asked for the alias yet.
    await eventually(async () => assert.equal(portalsCreated(), 1), 15_000);
    room = await alice.join(alias());
    const message = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["body"] === "hello matrix <3",
      { roomId: room },
    );
    assert.equal(message.content["formatted_body"], undefined, "plain text stays plain");
    console.log(`first message to Matrix, portal included: ${Date.now() - started} ms`);
    const name = await alice.getState(room, "m.room.name");
    assert.equal(name?.["name"], group.title);
    const member = await alice.getState(room, "m.room.member", ghost(carol));
    assert.equal(
      member?.["displayname"],
      "Carol <i>Evil</i> & co",
      "the name is taken as text, tags and all",
    );
    const mxc = String(member?.["avatar_url"]).replace("mxc://", "");
    const download = await fetch(`${stack.synapse.url}/_matrix/client/v1/media/download/${mxc}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    assert.deepEqual(
      Buffer.from(await download.arrayBuffer()),
      avatar,
      "the profile photo is the ghost's avatar",
    );
  });

  test("the bot being added to a group opens the group's portal, named after it", async () => {
    const other: TelegramTestGroup = { id: -1001000000002, title: "Second group" };
    const before = portalsCreated();
    await emulator.post(other, carol, {
      new_chat_members: [{ id: 666, is_bot: true, first_name: "Bridge", username: "TestNameBot" }],
    });
    await eventually(async () => assert.equal(portalsCreated(), before + 1));
    const otherRoom = await alice.join(`#telegram_${other.id}:${stack.synapse.serverName}`);
    const name = await alice.getState(otherRoom, "m.room.name");
    assert.equal(name?.["name"], other.title);
    assert.equal(await alice.getState(otherRoom, "m.room.member", ghost({ id: 666, first_name: "" })), null);
  });

  test("Telegram formatting (entities) arrives as Matrix HTML, every character escaped", async () => {
    const text = "bold <x> link code";
    await emulator.say(group, carol, text, {
      entities: [
        { type: "bold", offset: 0, length: 8 },
        { type: "text_link", offset: 9, length: 4, url: "https://example.org/?a=1&b=2" },
        { type: "code", offset: 14, length: 4 },
      ],
    });
    const message = await alice.waitForEvent(
      (e) =>
        e.sender === ghost(carol) &&
        e.content["body"] === "bold <x> link (https://example.org/?a=1&b=2) code",
      { roomId: room },
    );
    assert.equal(
      message.content["formatted_body"],
      '<b>bold &lt;x&gt;</b> <a href="https://example.org/?a=1&amp;b=2">link</a> <code>code</code>',
    );
  });

  test("portals relay from the start: the bot writes Matrix users' messages as **Name**: text in Telegram's HTML", async () => {
    const started = Date.now();
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "hello **telegram** <3",
      format: "org.matrix.custom.html",
      formatted_body: "hello <strong>telegram</strong> &lt;3 <a href='javascript:alert(1)'>x</a>",
    });
    const sent = await emulator.waitForBotMessage(
      group,
      (m) => m.text.includes("telegram"),
      "alice's message",
    );
    console.log(`Matrix message to Telegram: ${Date.now() - started} ms`);
    assert.equal(sent.parse_mode, "HTML");
    assert.equal(sent.text, "<b>Alice &lt;script&gt;</b>: hello <b>telegram</b> &lt;3 x");
  });

  test("replies carry over both ways", async () => {
    const aliceEvent = await alice.sendText(room, "question from matrix");
    const botMessage = await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("question from matrix"),
      "the question",
    );
    await emulator.say(group, carol, "answer from telegram", { replyTo: botMessage.message_id });
    const answer = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["body"] === "answer from telegram",
      { roomId: room },
    );
    const relatesTo = answer.content["m.relates_to"] as Record<string, Record<string, unknown>>;
    assert.equal(relatesTo["m.in_reply_to"]?.["event_id"], aliceEvent);

    const carolId = await emulator.say(group, carol, "a telegram question");
    const carolEvent = await alice.waitForEvent((e) => e.content["body"] === "a telegram question", {
      roomId: room,
    });
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "> <carol> a telegram question\n\na matrix answer",
      "m.relates_to": { "m.in_reply_to": { event_id: carolEvent.event_id } },
    });
    const reply = await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("a matrix answer"),
      "the answer",
    );
    assert.equal(JSON.parse(reply.reply_parameters ?? "{}").message_id, carolId);
    assert.ok(!reply.text.includes("a telegram question"), "the reply fallback is not repeated");
  });

  test("edits carry over both ways; the bot edits its own message", async () => {
    const carolId = await emulator.say(group, carol, "tpyo");
    const original = await alice.waitForEvent((e) => e.content["body"] === "tpyo", { roomId: room });
    await emulator.rawUpdate({
      edited_message: {
        message_id: carolId,
        from: { is_bot: false, ...carol },
        chat: { id: group.id, title: group.title, type: "supergroup" },
        date: Math.floor(Date.now() / 1000),
        edit_date: Math.floor(Date.now() / 1000),
        text: "typo",
      },
    });
    const edit = await alice.waitForEvent(
      (e) =>
        (e.content["m.relates_to"] as Record<string, unknown> | undefined)?.["event_id"] ===
        original.event_id,
      { roomId: room },
    );
    assert.equal((edit.content["m.new_content"] as Record<string, unknown>)["body"], "typo");

    const aliceEvent = await alice.sendText(room, "first version");
    const sent = await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("first version"),
      "the original",
    );
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "* second version",
      "m.new_content": { msgtype: "m.text", body: "second version" },
      "m.relates_to": { rel_type: "m.replace", event_id: aliceEvent },
    });
    await emulator.waitForBotMessage(
      group,
      (m) => m.message_id === sent.message_id && m.text === "<b>Alice &lt;script&gt;</b>: second version",
      "the edited text in place of the original",
    );
    const messages = (await emulator.activity(group)).messages;
    assert.ok(
      !messages.some((m) => m.text.includes("* second version")),
      "no correction sent as a new message",
    );

    // The bot could edit any message it relayed; an "edit" of Alice's message by someone else is not hers to make:
    // nothing reaches Telegram, and Bob is told why.
    const bob = await registerUser(stack.synapse, "bob", { displayName: "Bob" });
    try {
      await bob.join(room);
      const before = (await emulator.activity(group)).messages.length;
      await bob.sendMessage(room, {
        msgtype: "m.text",
        body: "* hijacked",
        "m.new_content": { msgtype: "m.text", body: "hijacked" },
        "m.relates_to": { rel_type: "m.replace", event_id: aliceEvent },
      });
      await bob.waitForEvent(
        (e) => String(e.content["body"]).includes("your edit was not sent to Telegram"),
        { roomId: room },
      );
      await bob.sendText(room, "bob after the refused edit");
      await emulator.waitForBotMessage(
        group,
        (m) => m.text.endsWith("bob after the refused edit"),
        "bob's text",
      );
      const activity = await emulator.activity(group);
      assert.ok(
        !activity.messages.slice(before).some((m) => m.text.includes("hijacked")),
        "nothing of the edit sent",
      );
      const original = activity.messages.find((m) => m.message_id === sent.message_id);
      assert.equal(
        original?.text,
        "<b>Alice &lt;script&gt;</b>: second version",
        "alice's message untouched",
      );
    } finally {
      await bob.close();
    }
  });

  test("a Matrix redaction deletes the relayed message", async () => {
    const aliceEvent = await alice.sendText(room, "regrettable");
    const sent = await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("regrettable"),
      "the message",
    );
    await alice.redact(room, aliceEvent);
    await emulator.waitFor(
      group,
      (a) => (a.deleted.includes(sent.message_id) ? true : undefined),
      "delete it",
    );
  });

  test("joins and leaves in the group are mirrored by the ghosts", async () => {
    await emulator.post(group, carol, { new_chat_members: [{ is_bot: false, ...dave }] });
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === ghost(dave) && e.content["membership"] === "join",
      { roomId: room },
    );
    await emulator.post(group, dave, { left_chat_member: { is_bot: false, ...dave } });
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === ghost(dave) && e.content["membership"] === "leave",
      { roomId: room },
    );
  });

  test("Telegram's 429s hold the chat's messages for retry_after; all arrive, in order", async () => {
    await emulator.rateLimit("sendMessage", 2, 1);
    const started = Date.now();
    for (const n of [1, 2, 3]) await alice.sendText(room, `burst ${n}`);
    await emulator.waitForBotMessage(group, (m) => m.text.endsWith("burst 3"), "the last of the burst");
    const activity = await emulator.activity(group);
    const burst = activity.messages.filter((m) => /burst \d$/.test(m.text)).map((m) => m.text.slice(-7));
    assert.deepEqual(burst, ["burst 1", "burst 2", "burst 3"]);
    const limited = activity.rateLimited.filter((r) => r.at >= started);
    assert.equal(limited.length, 2);
    const firstAccepted = activity.accepted.find((a) => a.method === "sendMessage" && a.at >= limited[1]!.at);
    assert.ok(
      firstAccepted !== undefined && firstAccepted.at - limited[1]!.at >= 950,
      "retry_after was honoured",
    );
    console.log(`burst of 3 through two 429s of retry_after 1 s: ${Date.now() - started} ms`);
  });

  test("a burst of 100 Telegram messages arrives complete and in order", async () => {
    const started = Date.now();
    for (let i = 0; i < 100; i++) await emulator.say(group, dave, `burst-tg ${i}`);
    await alice.waitForEvent((e) => e.content["body"] === "burst-tg 99", { roomId: room, timeoutMs: 60_000 });
    const bodies = alice
      .eventsSeen(room)
      .map((e) => String(e.content["body"]))
      .filter((b) => b.startsWith("burst-tg "));
    assert.deepEqual(
      bodies,
      Array.from({ length: 100 }, (_, i) => `burst-tg ${i}`),
    );
    console.log(`100 Telegram messages to Matrix: ${Date.now() - started} ms`);
  });

  test("what is said in the group while the bridge is down is bridged when it is back", async () => {
    // Polling stops first, so the message waits at Telegram; then the whole bridge restarts.
    await stack.network.stop();
    await emulator.say(group, carol, "said while the bridge was down");
    await stack.restartBridge();
    await alice.waitForEvent((e) => e.content["body"] === "said while the bridge was down", { roomId: room });
    await alice.sendText(room, "and the bot still relays");
    await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("and the bot still relays"),
      "the message",
    );
  });

  test("after Synapse restarts, messages cross both ways again: counted for loss, repeats and order", async (t) => {
    // Synapse on SQLite numbers its application service transactions from 1 again after a restart.
    await stack.synapse.stop();
    await stack.synapse.start();
    const toTelegram = Array.from({ length: 10 }, (_, i) => `matrix after the Synapse restart ${i}`);
    for (const body of toTelegram) await alice.sendText(room, body);
    await emulator.waitForBotMessage(group, (m) => m.text.endsWith(toTelegram.at(-1)!), "the last message");
    const toMatrix = Array.from({ length: 10 }, (_, i) => `telegram after the Synapse restart ${i}`);
    for (const body of toMatrix) await emulator.say(group, carol, body);
    await alice.waitForEvent((e) => e.content["body"] === toMatrix.at(-1), { roomId: room });
    const relayed = (await emulator.activity(group)).messages.map((m) => relayedText(m.text));
    tally(t, "Matrix → Telegram after a Synapse restart", toTelegram, relayed);
    const onMatrix = alice
      .eventsSeen(room)
      .filter((e) => e.sender === ghost(carol))
      .map((e) => String(e.content["body"]));
    tally(t, "Telegram → Matrix after a Synapse restart", toMatrix, onMatrix);
  });

  test("hostile input: HTML and 10 kB messages both ways, unknown update kinds; nothing lost, nothing injected", async () => {
    const injection = '</b><a href="tg://user?id=1">x</a> & <script>';
    await alice.sendText(room, injection);
    const escaped = await emulator.waitForBotMessage(
      group,
      (m) => m.text.includes("tg://"),
      "the HTML as text",
    );
    assert.equal(shownText(escaped.text), `Alice <script>: ${injection}`);
    assert.equal(
      escaped.text,
      "<b>Alice &lt;script&gt;</b>: &lt;/b&gt;&lt;a href=&quot;tg://user?id=1&quot;&gt;x&lt;/a&gt; &amp; &lt;script&gt;",
    );

    const long = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(" ");
    assert.ok(long.length > 10_000);
    await alice.sendText(room, long);
    await alice.sendText(room, "after the long one");
    await emulator.waitForBotMessage(group, (m) => m.text.endsWith("after the long one"), "the next message");
    const messages = (await emulator.activity(group)).messages;
    const start = messages.findIndex((m: BotMessage) => shownText(m.text).includes(": w0 w1 "));
    const end = messages.findIndex((m) => m.text.endsWith("after the long one"));
    const parts = messages.slice(start, end).map((m) => shownText(m.text));
    assert.ok(parts.length >= 3, `split into ${parts.length} messages`);
    assert.ok(parts.every((p) => p.length <= 4096));
    const words = relayedWords(parts, "Alice <script>");
    assert.deepEqual(words, long.split(" "), "every word arrived, in order");

    // Telegram failing part way through a split message: the retry sends only what is missing.
    await emulator.fail("sendMessage", { skip: 1, count: 1 });
    const before = (await emulator.activity(group)).messages.length;
    const second = Array.from({ length: 1000 }, (_, i) => `v${i}`).join(" ");
    await alice.sendText(room, second);
    await alice.sendText(room, "after the retried one");
    await emulator.waitForBotMessage(
      group,
      (m) => m.text.endsWith("after the retried one"),
      "the next message",
    );
    const retried = (await emulator.activity(group)).messages.slice(before, -1).map((m) => shownText(m.text));
    assert.equal(retried.length, 2);
    assert.equal((await emulator.activity(group)).failed.length, 1, "the second part failed once");
    const retriedWords = relayedWords(retried, "Alice <script>");
    assert.deepEqual(retriedWords, second.split(" "), "no part twice, none missing");

    await emulator.rawUpdate({
      message_reaction_from_the_future: { chat: { id: group.id }, anything: true },
    });
    const longFromTelegram = `<b>${"x".repeat(10_000)}</b>`;
    await emulator.say(group, carol, longFromTelegram);
    const arrived = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["body"] === longFromTelegram,
      { roomId: room },
    );
    assert.equal(arrived.content["formatted_body"], undefined);
  });
});
