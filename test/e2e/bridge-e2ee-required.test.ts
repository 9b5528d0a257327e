// `encryption.require: true` with a real encrypting client (matrix-js-sdk's Rust crypto, as Element) through a real
// Synapse and the test network: the portals the bridge makes are encrypted without `encryption.default`, and an
// unencrypted event sent into an encrypted room (which Synapse accepts from any client) is neither bridged nor run
// as a command, while the encrypted one after it is. Each negative check rides on the room's order: events of a
// room are handled one after another, so the unencrypted event was handled, and dropped, before the encrypted one
// the check waits for.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { plainText } from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import type { EncryptedClient } from "../harness/encrypted-client.ts";
import { startEncryptedStack } from "../harness/encrypted-stack.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("encryption required", () => {
  const runDir = useRunDir("bridge-e2ee-required");
  let stack: BridgeStack;
  let alice: TestClient;
  let element: EncryptedClient;
  const bot = () => stack.bridge.naming.botUserId;
  const marker = (what: string) => `${what} ${randomUUID()}`;

  before(async () => {
    ({ stack, alice, element } = await startEncryptedStack(runDir, {
      network: { rooms: [{ id: "townhall", name: "Town hall" }], users: [] },
      encryption: { allow: true, require: true },
    }));
  });

  test("a portal is made encrypted; an unencrypted message in it stays on Matrix, the encrypted one after it goes", async () => {
    const portal = await alice.join(`#testnet_townhall:${stack.synapse.serverName}`);
    await element.waitUntil(
      async () => (await element.client.getCrypto()?.isEncryptionEnabledInRoom(portal)) === true,
      () => "the portal encrypted",
    );
    await element.join(portal);
    const unencrypted = marker("sent in the clear");
    await alice.sendText(portal, unencrypted);
    const encrypted = marker("sent encrypted");
    await element.sendText(portal, encrypted);
    await stack.world.waitForMessage((m) => plainText(m.text) === encrypted);
    assert.deepEqual(
      stack.world.received.map((m) => plainText(m.text)).filter((text) => text === unencrypted),
      [],
      "the unencrypted message was not bridged",
    );
  });

  test("an unencrypted command in the DM with the bot is not run; the encrypted one after it is", async () => {
    const dm = await element.createEncryptedDm(bot());
    await element.waitForEvent(
      dm,
      (e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello!"),
      "the greeting",
    );
    await alice.sendText(dm, "help");
    await element.sendText(dm, "ping");
    const pong = await element.waitForEvent(
      dm,
      (e) => e.sender === bot() && String(e.content["body"]).startsWith("Pong!"),
      "the answer to the encrypted ping",
    );
    assert.equal(pong.encrypted, true);
    // Had the unencrypted "help" been run, its listing would stand between the greeting and the answer to "ping".
    const answers = element
      .events(dm)
      .filter((e) => e.sender === bot() && e.type === "m.room.message")
      .map((e) => String(e.content["body"]));
    assert.equal(answers.length, 2, `only the greeting and the answer: ${JSON.stringify(answers)}`);
    assert.ok(answers[0]?.startsWith("Hello!") && answers[1]?.startsWith("Pong!"));
  });
});
