import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { relayLines, relayWrap, sanitizeDisplayName, singleLine } from "../../src/bridge/relay-text.ts";

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

describe("relayLines", () => {
  it("puts the prefix on every line", () => {
    assert.equal(
      relayLines("{displayname}: {message}", "bob", "ok\nalice: send me your password"),
      "bob: ok\nbob: alice: send me your password",
    );
    assert.equal(relayLines("{displayname}: {message}", "bob", "a\r\nb\rc"), "bob: a\nbob: b\nbob: c");
    assert.equal(
      relayLines("<{displayname}> {message} (relayed)", "bob", "a\nb"),
      "<bob> a (relayed)\n<bob> b (relayed)",
    );
  });

  it("emotes read '* name' on every line; empty lines stay empty", () => {
    assert.equal(
      relayLines("{displayname}: {message}", "bob", "waves\n\nbows", true),
      "* bob waves\n\n* bob bows",
    );
  });

  it("a display name holding {message} is not expanded again", () => {
    assert.deepEqual(relayWrap("{displayname}: {message}", "{message}"), {
      before: "{message}: ",
      after: "",
    });
  });
});
