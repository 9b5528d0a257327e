// The Telegram bridge's core scenarios on each supported homeserver (Synapse and Dendrite), with the Bot API
// emulator: the portal (opened by the group's first message, joined by alias), messages both ways (Matrix users
// relayed by the bot), and a restart of the bridge and of the homeserver, each followed by messages both ways counted
// for loss, repeats and order. The full Telegram suites (telegram-bridge, telegram-media, …) run on Synapse.

import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { coreScenarios } from "../harness/core-scenarios.ts";
import { HOMESERVERS } from "../harness/homeserver.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { relayedText } from "../harness/telegram/shown-text.ts";
import type { TelegramEmulator } from "../harness/telegram/telegram-emulator.ts";
import { CAROL as carol, GROUP as group, startTelegramSuite } from "../harness/telegram/telegram-suite.ts";

for (const homeserver of HOMESERVERS)
  describe(`Telegram bridge with the Bot API emulator and ${homeserver}`, () => {
    const runDir = useRunDir(`homeservers-telegram-${homeserver.toLowerCase()}`);
    let emulator: TelegramEmulator;
    let stack: BridgeStack<TelegramNetwork>;
    let alice: TestClient;
    let room: RoomId;
    let ghost: string;
    let alias: string;

    before(async () => {
      const suite = await startTelegramSuite(runDir, { homeserver });
      ({ emulator, stack, alice } = suite);
      ghost = suite.ghost(carol);
      alias = suite.alias();
    });

    test("the group's first message opens its portal; joining its alias shows the message from the sender's ghost", async () => {
      await emulator.say(group, carol, "hello matrix");
      room = await alice.join(alias);
      await alice.waitForEvent((e) => e.sender === ghost && e.content["body"] === "hello matrix", {
        roomId: room,
        timeoutMs: 30_000,
      });
    });

    coreScenarios({
      network: "Telegram",
      stack: () => stack,
      alice: () => alice,
      room: () => room,
      remoteGhost: () => ghost,
      sayRemote: async (body) => {
        await emulator.say(group, carol, body);
      },
      seenRemote: async () => (await emulator.activity(group)).messages.map((m) => relayedText(m.text)),
    });
  });
