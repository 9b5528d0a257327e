import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { relayMarks, sanitizeDisplayName, singleLine } from "../../src/bridge/relay-text.ts";

describe("sanitizeDisplayName", () => {
  it("makes one line without controls or bidi overrides", () => {
    assert.equal(sanitizeDisplayName("bob\nalice", "x"), "bob alice");
    assert.equal(sanitizeDisplayName("bob\r\n\u2028\u0085alice", "x"), "bob alice");
    assert.equal(sanitizeDisplayName("\x02bold\x03\x0f", "x"), "bold");
    assert.equal(sanitizeDisplayName("evil\u202eecilA", "x"), "evil ecilA");
    assert.equal(sanitizeDisplayName("  \t ", "fallback"), "fallback");
    assert.equal(sanitizeDisplayName("Zoë 🙂", "x"), "Zoë 🙂");
  });

  it("caps the length in code points", () => {
    assert.equal([...sanitizeDisplayName("🙂".repeat(200), "x")].length, 64);
  });

  it("singleLine keeps text on one line", () => {
    assert.equal(singleLine("👍\nalice: hi"), "👍 alice: hi");
  });
});

describe("relayMarks", () => {
  it("are what the template puts before and after the message, filled in for the name", () => {
    assert.deepEqual(relayMarks("{displayname}: {message}", "bob"), {
      displayName: "bob",
      before: "bob: ",
      after: "",
    });
    assert.deepEqual(relayMarks("<{displayname}> {message} (relayed)", "bob"), {
      displayName: "bob",
      before: "<bob> ",
      after: " (relayed)",
    });
  });

  it("make an emote read '* name text'", () => {
    assert.deepEqual(relayMarks("{displayname}: {message}", "bob", true), {
      displayName: "bob",
      before: "* bob ",
      after: "",
    });
  });

  it("a display name holding {message} is not expanded again", () => {
    assert.deepEqual(relayMarks("{displayname}: {message}", "{message}"), {
      displayName: "{message}",
      before: "{message}: ",
      after: "",
    });
  });
});
