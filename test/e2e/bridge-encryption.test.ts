// Encrypted rooms end to end with a real Synapse and the test network. The bridge cannot read m.room.encrypted yet,
// so instead of silence: a DM with the bot created encrypted, as Element creates it, gets one notice naming the
// problem and a new chat without encryption where commands work; a plumbed room whose moderator turns encryption on
// is told once that bridging stopped, and neither direction is bridged afterwards.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { plainText, remoteRoomId, remoteUserId, richText } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { type MatrixEvent, registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

/** Ciphertext-shaped content: the bridge only needs to see that it cannot read it. */
const ENCRYPTED = {
  algorithm: "m.megolm.v1.aes-sha2",
  ciphertext: "AwgAEpABqOCAaeZx0QBk7x0nYH8n3Yfb2lQ5BcI8eXM0dDH6",
  sender_key: "Jb1Wl6r7cp3lMpMxwlR9rW0SG0FqNKvMDo3Hk2sPmV8",
  session_id: "dZ3Wl3FjT0Y1vC0mXk5wdHRR8JqO9Pqv1jYuYb8WmJQ",
  device_id: "ELEMENTDEV",
};
const ENCRYPTION_STATE = {
  type: "m.room.encryption",
  state_key: "",
  content: { algorithm: "m.megolm.v1.aes-sha2" },
};

describe("encrypted rooms", () => {
  const runDir = useRunDir("bridge-encryption");
  let stack: BridgeStack;
  let alice: TestClient;
  const bot = () => stack.bridge.naming.botUserId;
  const notices = (roomId: string, text: string): MatrixEvent[] =>
    alice.eventsSeen(roomId).filter((e) => e.sender === bot() && String(e.content["body"]).includes(text));

  before(async () => {
    stack = await startBridgeStack({
      runDir: runDir.path,
      network: { rooms: [{ id: "townhall", name: "Town hall" }], automaticIdentities: true },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("a DM with the bot created encrypted gets one notice, however many encrypted messages follow", async () => {
    // As Element creates a DM: direct, trusted_private_chat, encryption in the initial state.
    const dm = await alice.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [bot()],
      initial_state: [ENCRYPTION_STATE],
    });
    const notice = await alice.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).includes("end-to-end encrypted"),
      { roomId: dm },
    );
    const body = String(notice.content["body"]);
    assert.match(body, /this bridge cannot read encrypted messages yet/);
    assert.match(body, /nothing you write here reaches Test network and commands are not seen/);
    assert.match(body, /invited you to a new chat with me without encryption/);
    await alice.sendEvent(dm, "m.room.encrypted", ENCRYPTED);
    const second = await alice.sendEvent(dm, "m.room.encrypted", { ...ENCRYPTED, ciphertext: "AwgBEpAB" });
    await alice.waitForEvent((e) => e.event_id === second, { roomId: dm });
    await stack.bridge.queue.idle();
    await sleep(500);
    await stack.bridge.queue.idle();
    assert.equal(notices(dm, "end-to-end encrypted").length, 1, "exactly one notice");
    assert.ok(
      !alice.eventsSeen(dm).some((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello")),
      "no greeting promising commands that cannot be read",
    );
    const log = readFileSync(stack.files.logPath, "utf8");
    assert.ok(
      log.split("\n").some((l) => l.includes('"level":"warn"') && l.includes(dm) && l.includes("encrypted")),
      "logged as a warning with the room id",
    );
  });

  test("the new chat the bot opened has no encryption, and commands work there", async () => {
    const fresh = await alice.waitForInvite((e) => e.sender === bot() && e.content["is_direct"] === true);
    await alice.join(fresh);
    assert.equal(await alice.getState(fresh, "m.room.encryption"), null);
    const sent = await alice.sendText(fresh, "ping");
    await alice.waitForEvent((e) => e.event_id === sent, { roomId: fresh });
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Pong!"), {
      roomId: fresh,
    });
  });

  test("a plumbed room that turns encryption on stops bridging both ways, says so once, and shows why", async () => {
    const room = await alice.createRoom({ preset: "private_chat", name: "Alice's room" });
    await alice.invite(room, bot());
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === bot() && e.content["membership"] === "join",
      { roomId: room },
    );
    await alice.sendText(room, "!link townhall");
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Linked"), {
      roomId: room,
    });
    await alice.sendText(room, "before encryption");
    await stack.world.waitForMessage((m) => plainText(m.text) === "before encryption");

    await alice.sendState(room, "m.room.encryption", "", { algorithm: "m.megolm.v1.aes-sha2" });
    const notice = await alice.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).includes("stopped bridging this room"),
      { roomId: room },
    );
    assert.match(String(notice.content["body"]), /nothing from there is posted here/);
    await alice.sendEvent(room, "m.room.encrypted", ENCRYPTED);

    // From the network: not posted into the encrypted room.
    const lobby = remoteRoomId("townhall");
    await stack.world.remote.message({
      roomId: lobby,
      sender: { id: remoteUserId("dave"), displayName: "Dave" },
      id: stack.world.newMessageId(),
      text: richText("from the network after encryption"),
    });
    // A plaintext command a client may still send shows the paused state; a plaintext message is not bridged.
    await alice.sendText(room, "plaintext after encryption");
    await alice.sendText(room, "!relay");
    const status = await alice.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).startsWith("Relay mode"),
      { roomId: room },
    );
    assert.match(String(status.content["body"]), /Bridging is paused: this room is end-to-end encrypted/);
    await stack.bridge.queue.idle();
    await sleep(500);
    assert.ok(!alice.eventsSeen(room).some((e) => e.content["body"] === "from the network after encryption"));
    assert.equal(
      stack.world.received.filter((m) => plainText(m.text) === "plaintext after encryption").length,
      0,
    );
    assert.equal(notices(room, "stopped bridging").length, 1, "told once");
    assert.equal((await stack.bridge.store.getRoomLinkByMatrix(room))?.paused, "encrypted");
  });
});
