import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Errand, NetworkDoor } from "../../src/bridge/network-door.ts";
import { type RoomId, remoteMessageId, remoteRoomId, remoteUserId, type UserId } from "../../src/ids.ts";
import {
  type MatrixMessage,
  type MatrixTyping,
  type NetworkPlugin,
  PermanentDeliveryError,
} from "../../src/network.ts";
import { richText } from "../../src/rich-text.ts";
import { captureLogs } from "../matrix/helpers.ts";

const ROOM = "!room:example.org" as RoomId;
const ALICE = "@alice:example.org" as UserId;
const side = {
  remoteRoomId: remoteRoomId("lobby"),
  sender: ALICE,
  senderName: "Alice",
  as: { kind: "puppet" as const, remoteUserId: remoteUserId("alice") },
};
const message: MatrixMessage = { ...side, kind: "text", text: richText("hi") };
const errand = (what: string): Errand => ({
  roomId: ROOM,
  sender: ALICE,
  type: "m.text",
  what,
  receivedAt: 0,
});

/** A door to `network`, recording what the room was told and what was counted. */
function doorTo(network: Partial<NetworkPlugin>) {
  const told: string[] = [];
  const counted: string[] = [];
  const door = new NetworkDoor({
    network: { info: { displayName: "Test network" }, ...network } as NetworkPlugin,
    stopping: new AbortController().signal,
    retryDelaysMs: [1, 1],
    logger: captureLogs().logger,
    tell: async (_roomId, text) => {
      told.push(text);
    },
    onBridged: (type) => counted.push(`bridged ${type}`),
    onFailed: (type) => counted.push(`failed ${type}`),
  });
  return { door, told, counted };
}

describe("NetworkDoor", () => {
  it("retries passing trouble, marking the retry as one that may have been sent, and records the answer", async () => {
    const calls: MatrixMessage[] = [];
    const { door, told, counted } = doorTo({
      sendMessage: async (m) => {
        calls.push(m);
        if (calls.length === 1) throw new Error("connection reset");
        return { remoteMessageId: remoteMessageId("r1") };
      },
    });
    const recorded: unknown[] = [];
    await door.sendMessage(errand("message"), message, async (result) => {
      recorded.push(result.remoteMessageId);
    });
    assert.deepEqual(
      calls.map((m) => m.mayHaveBeenSent),
      [undefined, true],
    );
    assert.deepEqual(recorded, ["r1"]);
    assert.deepEqual(told, []);
    assert.deepEqual(counted, ["bridged m.text"]);
  });

  it("tells the sender in the room when the network refuses, without retrying", async () => {
    let calls = 0;
    const { door, told, counted } = doorTo({
      sendMessage: async () => {
        calls++;
        throw new PermanentDeliveryError("no such channel");
      },
    });
    await door.sendMessage(errand("message"), message, async () => undefined);
    assert.equal(calls, 1);
    assert.deepEqual(told, [
      `⚠ ${ALICE}: your message could not be delivered to Test network: no such channel`,
    ]);
    assert.deepEqual(counted, ["failed m.text"]);
  });

  it("gives up after the last retry and says what did not arrive", async () => {
    let calls = 0;
    const { door, told } = doorTo({
      sendMessage: async () => ({}),
      handleKick: async () => {
        calls++;
        throw new Error("timed out");
      },
    });
    await door.handleKick(errand("kick"), { ...side, target: remoteUserId("bob"), ban: false });
    assert.equal(calls, 3);
    assert.deepEqual(told, [`⚠ ${ALICE}: your kick could not be delivered to Test network: timed out`]);
  });

  it("tries typing once and tells nobody when it fails", async () => {
    let calls = 0;
    const { door, told, counted } = doorTo({
      sendTyping: async (_typing: MatrixTyping) => {
        calls++;
        throw new Error("connection reset");
      },
    });
    await door.sendTyping({ ...errand("typing"), type: "m.typing" }, { ...side, typing: true });
    assert.equal(calls, 1);
    assert.deepEqual(told, []);
    assert.deepEqual(counted, ["failed m.typing"]);
  });

  it("knows a feature by the plugin's method, and calls nothing the plugin lacks", async () => {
    const { door, told, counted } = doorTo({ sendMessage: async () => ({}) });
    assert.equal(door.has("sendEdit"), false);
    await door.sendEdit(errand("edit"), { ...side, target: remoteMessageId("r1"), kind: "text", text: [] });
    assert.deepEqual(told, []);
    assert.deepEqual(counted, []);
    assert.equal(doorTo({ sendEdit: async () => undefined }).door.has("sendEdit"), true);
  });
});
