// Linking an existing Matrix room to a Telegram group: a moderator of the room asks with !link, the bot asks the group,
// and only one of the group's admins can confirm. With portals made only on request, nothing from a group is bridged
// before it is linked.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { MatrixRequestError } from "../harness/matrix-request.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { startTelegramBridgeStack } from "../harness/telegram/telegram-bridge-stack.ts";
import {
  TelegramEmulator,
  type TelegramTestGroup,
  type TelegramTestUser,
} from "../harness/telegram/telegram-emulator.ts";

const group: TelegramTestGroup = { id: -1001000000077, title: "Plumbed group" };
const admin: TelegramTestUser = { id: 2001, first_name: "Ada" };
const member: TelegramTestUser = { id: 2002, first_name: "Max" };

describe("Telegram bridge: linking a Matrix room to a group", () => {
  const runDir = useRunDir("telegram-plumbing");
  let emulator: TelegramEmulator;
  let stack: BridgeStack<TelegramNetwork>;
  let alice: TestClient;
  let room: RoomId;
  const ghost = (user: TelegramTestUser) => `@telegram_${user.id}:${stack.synapse.serverName}`;

  before(async () => {
    emulator = await TelegramEmulator.start({
      runDir: runDir.path,
      botToken: `4343:${randomBytes(12).toString("hex")}`,
    });
    runDir.addTeardown(() => emulator.stop());
    stack = await startTelegramBridgeStack({
      runDir: runDir.path,
      emulator,
      settings: { create_portals: "on_request", link_approval_seconds: 20 },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    await emulator.addGroup(group, [admin]);
    room = await alice.createRoom({ name: "Alice's room" });
    await alice.invite(room, `@telegrambot:${stack.synapse.serverName}`);
  });

  test("before the link, nothing said in the group makes a portal", async () => {
    await emulator.say(group, member, "said before the link");
    // The next update, handled after the first, shows the bridge has seen it.
    await emulator.say(group, member, "/link_matrix nothing");
    await emulator.waitForBotMessage(
      group,
      (m) => m.text.startsWith("There is no link request"),
      "its answer",
    );
    assert.ok(!readFileSync(stack.files.logPath, "utf8").includes("portal created"));
  });

  test("!link asks the group; a member's confirmation is refused, an admin's accepted", async () => {
    const linked = alice.sendText(room, `!link ${group.id}`);
    const request = await emulator.waitForBotMessage(
      group,
      (m) => m.text.includes("/link_matrix"),
      "the request",
    );
    assert.match(request.text, /@alice:/);
    const code = /\/link_matrix ([0-9a-f]+)/.exec(request.text)?.[1];
    assert.ok(code !== undefined);
    await linked;
    await emulator.say(group, member, `/link_matrix ${code}`);
    await emulator.waitForBotMessage(group, (m) => m.text.startsWith("Only an admin"), "the refusal");
    await emulator.say(group, admin, `/link_matrix@TestNameBot ${code}`);
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith(`Linked this room to ${group.id}`), {
      roomId: room,
    });
  });

  test("once linked, the group's messages arrive in the room; those from before do not", async () => {
    await emulator.say(group, member, "hello linked room");
    await alice.waitForEvent((e) => e.sender === ghost(member) && e.content["body"] === "hello linked room", {
      roomId: room,
    });
    assert.ok(!alice.eventsSeen(room).some((e) => e.content["body"] === "said before the link"));
  });

  test("the group's portal alias does not lead into the linked room: it is not found", async () => {
    const alias = `#telegram_${group.id}:${stack.synapse.serverName}`;
    await assert.rejects(
      alice.request("GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`),
      (err: unknown) => err instanceof MatrixRequestError && err.status === 404,
    );
  });
});
