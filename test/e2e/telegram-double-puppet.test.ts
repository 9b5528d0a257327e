// Double puppeting with Telegram: a Telegram user links their Matrix account (asked for in a private chat with the
// bot, confirmed with `login <code>` from Matrix). Their Telegram messages then appear as that Matrix account, and
// what the account writes on Matrix goes out under their Telegram name — no relay needed.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { startTelegramBridgeStack } from "../harness/telegram/telegram-bridge-stack.ts";
import {
  TelegramEmulator,
  type TelegramTestGroup,
  type TelegramTestUser,
} from "../harness/telegram/telegram-emulator.ts";

const group: TelegramTestGroup = { id: -1001000000055, title: "Puppet group" };
const carol: TelegramTestUser = { id: 5001, first_name: "Carol", last_name: "Tg" };
const privateChat: TelegramTestGroup = { id: carol.id, title: "Carol", type: "private" };

describe("Telegram bridge: double puppeting", () => {
  const runDir = useRunDir("telegram-double-puppet");
  let emulator: TelegramEmulator;
  let stack: BridgeStack<TelegramNetwork>;
  let alice: TestClient;
  let dm: RoomId;
  let room: RoomId;
  const bot = () => `@telegrambot:${stack.synapse.serverName}`;

  /** Sends a command in the DM and returns the bot's answer. */
  async function command(text: string): Promise<string> {
    const sent = await alice.sendText(dm, text);
    await alice.waitForEvent((e) => e.event_id === sent, { roomId: dm });
    const seenBefore = alice.eventsSeen(dm).findIndex((e) => e.event_id === sent);
    const reply = await alice.waitForEvent(
      (e) =>
        e.sender === bot() &&
        alice.eventsSeen(dm).indexOf(e) > seenBefore &&
        e.content["msgtype"] === "m.notice",
      { roomId: dm },
    );
    return String(reply.content["body"]);
  }

  before(async () => {
    emulator = await TelegramEmulator.start({
      runDir: runDir.path,
      botToken: `4545:${randomBytes(12).toString("hex")}`,
    });
    runDir.addTeardown(() => emulator.stop());
    stack = await startTelegramBridgeStack({ runDir: runDir.path, emulator, doublePuppet: true });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    dm = await alice.createDirectMessage(bot());
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello"), {
      roomId: dm,
    });
  });

  test("the Telegram user asks for a code; only the named Matrix account can use it", async () => {
    await emulator.say(privateChat, carol, `/matrix_account ${alice.userId}`);
    const answer = await emulator.waitForBotMessage(privateChat, (m) => m.text.includes("login "), "a code");
    const code = /login ([0-9a-f]+)/.exec(answer.text)?.[1];
    assert.ok(code !== undefined);
    assert.match(await command("login 0000000000"), /Login failed/);
    const bob = await registerUser(stack.synapse, "bob");
    try {
      const bobDm = await bob.createDirectMessage(bot());
      await bob.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello"), {
        roomId: bobDm,
      });
      await bob.sendText(bobDm, `login ${code}`);
      await bob.waitForEvent((e) => String(e.content["body"]).includes("another Matrix account"), {
        roomId: bobDm,
      });
    } finally {
      await bob.close();
    }
    assert.match(await command(`login ${code}`), new RegExp(`Logged in to Telegram as ${carol.id}`));
  });

  test("the Telegram user's messages appear as their Matrix account", async () => {
    await emulator.say(group, carol, "written in Telegram");
    room = await eventually(() => alice.join(`#telegram_${group.id}:${stack.synapse.serverName}`));
    const message = await alice.waitForEvent((e) => e.content["body"] === "written in Telegram", {
      roomId: room,
    });
    assert.equal(message.sender, alice.userId);
  });

  test("the Matrix account's messages go out under the Telegram name, without relaying", async () => {
    await alice.sendText(room, "written on Matrix");
    const sent = await emulator.waitForBotMessage(group, (m) => m.text.endsWith("written on Matrix"), "it");
    assert.equal(sent.text, "<b>Carol Tg</b>: written on Matrix");
    const before = (await emulator.activity(group)).messages.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await emulator.activity(group)).messages.length, before, "nothing echoed back");
  });
});
