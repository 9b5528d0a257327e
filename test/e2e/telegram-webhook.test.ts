// The Telegram bridge in webhook mode: the bot registers the bridge's own HTTP server as its webhook with a secret,
// updates arrive there instead of by polling, and callers without the secret are turned away before they are heard.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { freePort } from "../harness/free-port.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { startTelegramBridgeStack } from "../harness/telegram/telegram-bridge-stack.ts";
import {
  TelegramEmulator,
  type TelegramTestGroup,
  type TelegramTestUser,
} from "../harness/telegram/telegram-emulator.ts";

const group: TelegramTestGroup = { id: -1001000000099, title: "Webhook group" };
const carol: TelegramTestUser = { id: 3001, first_name: "Carol" };

describe("Telegram bridge by webhook", () => {
  const runDir = useRunDir("telegram-webhook");
  const secret = randomBytes(24).toString("hex");
  let emulator: TelegramEmulator;
  let stack: BridgeStack<TelegramNetwork>;
  let alice: TestClient;
  let webhookUrl: string;

  before(async () => {
    emulator = await TelegramEmulator.start({
      runDir: runDir.path,
      botToken: `4444:${randomBytes(12).toString("hex")}`,
    });
    runDir.addTeardown(() => emulator.stop());
    const bridgePort = await freePort();
    webhookUrl = `http://127.0.0.1:${bridgePort}/_network/telegram/webhook`;
    stack = await startTelegramBridgeStack({
      runDir: runDir.path,
      emulator,
      bridgePort,
      settings: { webhook: { url: webhookUrl, secret_token: secret } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    runDir.addTeardown(() => {
      assert.ok(!readFileSync(stack.files.logPath, "utf8").includes(secret), "the secret is never logged");
    });
    alice = await registerUser(stack.synapse, "alice");
    runDir.addTeardown(() => alice.close());
  });

  test("updates posted to the webhook are bridged, edits included", async () => {
    const id = await emulator.say(group, carol, "by webhook");
    const room = await eventually(() => alice.join(`#telegram_${group.id}:${stack.synapse.serverName}`));
    const message = await alice.waitForEvent((e) => e.content["body"] === "by webhook", { roomId: room });
    await emulator.rawUpdate({
      edited_message: {
        message_id: id,
        from: { is_bot: false, ...carol },
        chat: { id: group.id, title: group.title, type: "supergroup" },
        date: Math.floor(Date.now() / 1000),
        text: "by webhook, edited",
      },
    });
    await alice.waitForEvent(
      (e) =>
        (e.content["m.relates_to"] as Record<string, unknown> | undefined)?.["event_id"] === message.event_id,
      { roomId: room },
    );
  });

  test("callers without the secret, or with another, are refused; a body that is no update is refused", async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    const update = JSON.stringify({
      update_id: 999_999,
      message: {
        message_id: 999_999,
        date: 0,
        chat: { id: group.id, type: "supergroup" },
        from: { ...carol, is_bot: false },
        text: "forged",
      },
    });
    assert.equal((await post({}, update)).status, 401);
    assert.equal((await post({ "x-telegram-bot-api-secret-token": "wrong" }, update)).status, 401);
    assert.equal((await post({ "x-telegram-bot-api-secret-token": secret }, "{not json")).status, 400);
    assert.equal((await post({ "x-telegram-bot-api-secret-token": secret }, '{"hello":1}')).status, 400);
    assert.equal((await fetch(webhookUrl)).status, 405);
    assert.ok(!alice.eventsSeen().some((e) => e.content["body"] === "forged"));
  });
});
