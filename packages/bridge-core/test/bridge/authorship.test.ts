import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAuthor, mayRedact } from "../../src/bridge/authorship.ts";
import type { EventId, RoomId, UserId } from "../../src/ids.ts";

const room = "!room:example.org" as RoomId;
const original = "$original" as EventId;
const alice = "@alice:example.org" as UserId;
const bob = "@bob:example.org" as UserId;
const mod = "@mod:example.org" as UserId;

/** Intents whose bot reads `sender` as the original's author and the given power levels. */
function intents(sender: string | null, powerLevels: Record<string, unknown> | null) {
  return {
    bot: {
      userId: "@bot:example.org",
      getEvent: async () => (sender === null ? Promise.reject(new Error("M_NOT_FOUND")) : { sender }),
      getPowerLevels: async () => powerLevels,
    },
    client: {
      request: async () => ({
        type: "m.room.create",
        sender: "@creator:example.org",
        content: { room_version: "10" },
      }),
    },
    // biome-ignore lint/suspicious/noExplicitAny: a stand-in for the two calls the checks make
  } as any;
}

describe("authorship", () => {
  it("an edit counts only from the original's sender; an unreadable original is nobody's", async () => {
    assert.equal(await isAuthor(intents(alice, null), room, original, alice), true);
    assert.equal(await isAuthor(intents(alice, null), room, original, bob), false);
    assert.equal(await isAuthor(intents(null, null), room, original, alice), false);
  });

  it("a redaction counts from the sender, or from a user at the room's redact level", async () => {
    const levels = { users: { [mod]: 50 }, users_default: 0 };
    assert.equal(await mayRedact(intents(alice, levels), room, original, alice), true);
    assert.equal(await mayRedact(intents(alice, levels), room, original, bob), false);
    assert.equal(await mayRedact(intents(alice, levels), room, original, mod), true);
    assert.equal(await mayRedact(intents(alice, { ...levels, redact: 75 }), room, original, mod), false);
    assert.equal(await mayRedact(intents(alice, { ...levels, redact: 0 }), room, original, bob), true);
  });
});
