// End-to-end encryption with a real encrypting client (matrix-js-sdk with its Rust crypto, as Element) through a real
// Synapse and the test network: an encrypted DM with the bot, where commands are answered encrypted; an encrypted DM
// with a ghost, both ways; an encrypted portal, both ways; a restart of the bridge, after which the same devices go on
// decrypting; and Synapse's database never holding a message's plaintext.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { parseRoomId, plainText, remoteRoomId, remoteUserId, richText } from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import type { EncryptedClient } from "../harness/encrypted-client.ts";
import { startEncryptedStack } from "../harness/encrypted-stack.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { eventsHolding } from "../harness/synapse-encryption.ts";

describe("end-to-end encrypted rooms, bridged", () => {
  const runDir = useRunDir("bridge-e2ee");
  let stack: BridgeStack;
  let alice: TestClient;
  let element: EncryptedClient;
  let botDm: string;
  let daveDm: string;
  let portal: string;
  const bot = () => stack.bridge.naming.botUserId;
  const dave = () => `@testnet_dave:${stack.synapse.serverName}`;
  const marker = (what: string) => `${what} ${randomUUID()}`;
  /** The bot's answer in the DM after `after`, which must have come encrypted. */
  const botSays = (room: string, starts: string) =>
    element.waitForEvent(
      room,
      (e) =>
        e.sender === bot() && e.type === "m.room.message" && String(e.content["body"]).startsWith(starts),
      `the bot saying "${starts}…"`,
    );

  before(async () => {
    ({ stack, alice, element } = await startEncryptedStack(runDir, {
      network: {
        rooms: [
          { id: "townhall", name: "Town hall" },
          { id: "square", name: "Square" },
        ],
        users: [{ id: "dave", displayName: "Dave" }],
      },
      encryption: { allow: true, default: true },
    }));
  });

  test("a DM with the bot created encrypted: greeted, and commands answered, all encrypted", async () => {
    botDm = await element.createEncryptedDm(bot());
    const hello = await botSays(botDm, "Hello!");
    assert.equal(hello.encrypted, true, "the greeting came encrypted");
    await element.sendText(botDm, "ping");
    const pong = await botSays(botDm, "Pong!");
    assert.equal(pong.encrypted, true);
    await element.sendText(botDm, "help");
    const help = await element.waitForEvent(
      botDm,
      (e) => e.sender === bot() && String(e.content["body"]).includes("ping"),
      "help listing ping",
    );
    assert.equal(help.encrypted, true);
    assert.equal(
      eventsHolding(stack.synapse, "Pong!"),
      0,
      "Synapse never held the bot's answer in the clear",
    );
  });

  test("a DM with a ghost created encrypted works both ways, and Synapse holds only ciphertext", async () => {
    daveDm = await element.createEncryptedDm(dave());
    await element.waitForEvent(
      daveDm,
      (e) => e.type === "m.room.member" && e.sender === dave() && e.content["membership"] === "join",
      "dave's ghost joining",
    );
    const toDave = marker("to dave");
    await element.sendText(daveDm, toDave);
    const received = await stack.world.waitForMessage((m) => plainText(m.text) === toDave);
    assert.equal(received.direct, "dave");
    const fromDave = marker("from dave");
    await stack.world.remote.directMessage({
      from: { id: remoteUserId("dave"), displayName: "Dave" },
      to: alice.userId,
      id: stack.world.newMessageId(),
      text: richText(fromDave),
    });
    const seen = await element.waitForEvent(daveDm, (e) => e.content["body"] === fromDave, "dave's message");
    assert.equal(seen.sender, dave());
    assert.equal(seen.encrypted, true);
    assert.equal(eventsHolding(stack.synapse, toDave), 0);
    assert.equal(eventsHolding(stack.synapse, fromDave), 0);
    assert.ok(eventsHolding(stack.synapse, "m.megolm.v1.aes-sha2") > 0, "the ciphertext is there");
  });

  test("a portal made with encryption on bridges both ways, encrypted", async () => {
    portal = await alice.join(`#testnet_townhall:${stack.synapse.serverName}`);
    await element.waitUntil(
      async () => (await element.client.getCrypto()?.isEncryptionEnabledInRoom(portal)) === true,
    );
    const fromNetwork = marker("from the town hall");
    await stack.world.remote.message({
      roomId: remoteRoomId("townhall"),
      sender: { id: remoteUserId("dave"), displayName: "Dave" },
      id: stack.world.newMessageId(),
      text: richText(fromNetwork),
    });
    const seen = await element.waitForEvent(
      portal,
      (e) => e.content["body"] === fromNetwork,
      "the town hall message",
    );
    assert.equal(seen.encrypted, true);
    const toNetwork = marker("to the town hall");
    await element.sendText(portal, toNetwork);
    await stack.world.waitForMessage((m) => plainText(m.text) === toNetwork);
    assert.equal(eventsHolding(stack.synapse, fromNetwork), 0);
    assert.equal(eventsHolding(stack.synapse, toNetwork), 0);
  });

  test("a plumbed room that turns encryption on keeps bridging both ways, now encrypted", async () => {
    const { room_id: room } = await element.client.createRoom({ name: "Alice's square" });
    await element.client.invite(room, bot());
    await element.waitForEvent(
      room,
      (e) => e.type === "m.room.member" && e.sender === bot() && e.content["membership"] === "join",
      "the bot joining",
    );
    await element.sendText(room, "!link square");
    await botSays(room, "Linked");
    await alice.sendState(room, "m.room.encryption", "", { algorithm: "m.megolm.v1.aes-sha2" });
    await element.waitUntil(
      async () => (await element.client.getCrypto()?.isEncryptionEnabledInRoom(room)) === true,
    );
    const toNetwork = marker("to the square, encrypted");
    await element.sendText(room, toNetwork);
    await stack.world.waitForMessage((m) => plainText(m.text) === toNetwork);
    const fromNetwork = marker("from the square");
    await stack.world.remote.message({
      roomId: remoteRoomId("square"),
      sender: { id: remoteUserId("dave"), displayName: "Dave" },
      id: stack.world.newMessageId(),
      text: richText(fromNetwork),
    });
    const seen = await element.waitForEvent(
      room,
      (e) => e.content["body"] === fromNetwork,
      "the square's message",
    );
    assert.equal(seen.encrypted, true);
    assert.equal(
      (await stack.bridge.store.getRoomLinkByMatrix(parseRoomId(room)))?.paused,
      undefined,
      "not paused",
    );
    assert.equal(eventsHolding(stack.synapse, toNetwork), 0);
    assert.equal(eventsHolding(stack.synapse, fromNetwork), 0);
  });

  test("after a restart the same devices decrypt new messages, and nobody verifies anything again", async () => {
    const before = await stack.bridge.store.getCryptoDevice(bot());
    await stack.restartBridge();
    const after = await stack.bridge.store.getCryptoDevice(bot());
    assert.ok(before !== null && after !== null);
    assert.equal(after.deviceId, before.deviceId, "the bot's device id did not change");
    const devices = await element.client.getCrypto()?.getUserDeviceInfo([bot()], true);
    assert.deepEqual(
      [...(devices?.get(bot())?.keys() ?? [])],
      [before.deviceId],
      "the bot has that one device",
    );
    await element.sendText(botDm, "ping");
    await element.waitUntil(
      async () =>
        element.events(botDm).filter((e) => String(e.content["body"]).startsWith("Pong!")).length === 2,
      () => "a second Pong! after the restart",
    );
    const toDave = marker("to dave after the restart");
    await element.sendText(daveDm, toDave);
    await stack.world.waitForMessage((m) => plainText(m.text) === toDave);
    const toNetwork = marker("to the town hall after the restart");
    await element.sendText(portal, toNetwork);
    await stack.world.waitForMessage((m) => plainText(m.text) === toNetwork);
  });
});
