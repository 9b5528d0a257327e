// What the Telegram suites share: the emulator, the bridge with its homeserver (Synapse unless told otherwise), a
// Matrix user, and the Telegram group and users they talk with (names full of HTML, so that every suite also checks
// nothing of it is taken as markup).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../bridge-stack.ts";
import type { HomeserverSoftware } from "../homeserver.ts";
import { registerUser, type TestClient } from "../matrix-test-client.ts";
import type { SuiteRunDir } from "../run-dir.ts";
import { startTelegramBridgeStack } from "./telegram-bridge-stack.ts";
import { TelegramEmulator, type TelegramTestGroup, type TelegramTestUser } from "./telegram-emulator.ts";

export const GROUP: TelegramTestGroup = { id: -1001000000001, title: "Lobby <b>&</b>" };
export const CAROL: TelegramTestUser = {
  id: 1001,
  first_name: "Carol",
  last_name: "<i>Evil</i> & co",
  username: "carol",
};
export const DAVE: TelegramTestUser = { id: 1002, first_name: "Dave" };

export interface TelegramSuite {
  emulator: TelegramEmulator;
  stack: BridgeStack<TelegramNetwork>;
  /** A Matrix user whose display name is HTML too. */
  alice: TestClient;
  ghost(user: TelegramTestUser): string;
  /** The group's portal alias. */
  alias(group?: TelegramTestGroup): string;
}

/** Starts everything, stopped when the suite ends; the suite fails if the bot token ever reached the log. */
export async function startTelegramSuite(
  runDir: SuiteRunDir,
  options: { homeserver?: HomeserverSoftware } = {},
): Promise<TelegramSuite> {
  const botToken = `4242:${randomBytes(12).toString("hex")}`;
  const emulator = await TelegramEmulator.start({ runDir: runDir.path, botToken });
  runDir.addTeardown(() => emulator.stop());
  const stack = await startTelegramBridgeStack({
    runDir: runDir.path,
    emulator,
    // Portals belong to the bridge; switching relaying off and on in one is for bridge admins.
    extraConfig: { bridge: { permissions: { "*": "admin" } } },
    ...(options.homeserver !== undefined && { homeserver: options.homeserver }),
  });
  runDir.addTeardown((failed) => stack.stop(failed));
  runDir.addTeardown(() => {
    assert.ok(!readFileSync(stack.files.logPath, "utf8").includes(botToken), "the bot token is never logged");
  });
  const alice = await registerUser(stack.synapse, "alice", { displayName: "Alice <script>" });
  runDir.addTeardown(() => alice.close());
  return {
    emulator,
    stack,
    alice,
    ghost: (user) => `@telegram_${user.id}:${stack.synapse.serverName}`,
    alias: (group = GROUP) => `#telegram_${group.id}:${stack.synapse.serverName}`,
  };
}
