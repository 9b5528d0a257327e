import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chatIdOf, messageIdOfParts, partsOf } from "../src/telegram-ids.ts";

describe("Telegram ids", () => {
  test("chat ids are decimal, negative for groups; anything else names no chat", () => {
    assert.equal(chatIdOf("-1001234567890"), -1001234567890);
    assert.equal(chatIdOf("42"), 42);
    for (const bad of ["", "-", "0", "01", "1e3", "12 ", "#lobby", "99999999999999999999"]) {
      assert.equal(chatIdOf(bad), null, bad);
    }
  });

  test("a split message's id lists its parts", () => {
    assert.equal(messageIdOfParts([41]), "41");
    assert.equal(messageIdOfParts([41, 42, 43]), "41+42+43");
    assert.deepEqual(partsOf("41+42+43"), [41, 42, 43]);
    assert.deepEqual(partsOf("out-123"), []);
    assert.throws(() => messageIdOfParts([]));
  });
});
