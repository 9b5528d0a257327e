import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findNickMentions, ircLower } from "../../src/formatting/mentions.ts";

describe("findNickMentions", () => {
  it("reports offsets", () => {
    assert.deepEqual(findNickMentions("hi alice", new Map([["alice", "@a:x"]])), [
      { start: 3, end: 8, nick: "alice", id: "@a:x" },
    ]);
  });

  it("honours the case mapping and the minimum length", () => {
    const nicks = new Map([["a[b]", "@a:x"]]);
    assert.equal(findNickMentions("hi A{B}", nicks).length, 1);
    assert.equal(findNickMentions("hi A{B}", nicks, { caseMapping: "ascii" }).length, 0);
    assert.equal(findNickMentions("hi jo", new Map([["jo", "@j:x"]]), { minWordLength: 2 }).length, 1);
  });
});

describe("ircLower", () => {
  it("folds per case mapping", () => {
    assert.equal(ircLower("AB[]\\~"), "ab{}|^");
    assert.equal(ircLower("AB[]\\~", "strict-rfc1459"), "ab{}|~");
    assert.equal(ircLower("AB[]\\~", "ascii"), "ab[]\\~");
  });
});
