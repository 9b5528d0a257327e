import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { remoteMessageId } from "bridge-core";
import { MessageIds } from "../src/message-ids.ts";

function memoryStorage() {
  const values = new Map<string, unknown>();
  return {
    get: async (key: string) => values.get(key) ?? null,
    put: async (key: string, value: unknown) => {
      values.set(key, value);
    },
  };
}

describe("MessageIds", () => {
  it("maps a sender's own id to the room's id and back", async () => {
    const ids = new MessageIds(memoryStorage());
    await ids.remember("room@muc", "alice", "own-1", remoteMessageId("stanza-1"));
    assert.equal(await ids.fromSenderId("room@muc", "alice", "own-1"), "stanza-1");
    assert.equal(await ids.senderIdOf("room@muc", remoteMessageId("stanza-1")), "own-1");
  });

  it("gives every message an id: the room's stanza-id, else the sender's, else one of its own, never shared", () => {
    const ids = new MessageIds(memoryStorage());
    assert.equal(ids.canonical({ stanzaId: "room-1", id: "own-1" }, "carol"), "room-1");
    assert.equal(ids.canonical({ id: "own-1" }, "carol"), "own-1");
    // XMPP requires neither: two such messages (once both named by sender and millisecond) must not be one.
    const first = ids.canonical({}, "carol@example.org");
    const second = ids.canonical({}, "carol@example.org");
    assert.notEqual(first, second);
    assert.ok(first.startsWith("carol@example.org "));
  });

  it("never lets one sender's nick and id reach another sender's message, spaces or not", async () => {
    const ids = new MessageIds(memoryStorage());
    await ids.remember("room@muc", "a b", "c", remoteMessageId("victim's message"));
    // Joined with spaces, nick "a" naming id "b c" would have found the message of nick "a b" with id "c".
    assert.equal(await ids.fromSenderId("room@muc", "a", "b c"), "b c");
    assert.equal(await ids.fromSenderId("room@muc a", "b", "c"), "c");
  });
});
