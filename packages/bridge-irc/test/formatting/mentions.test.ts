import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findNickMentions, ircLower, nicksToPills } from "../../src/formatting/mentions.ts";

const pill = (userId: string, text: string) => `<a href="https://matrix.to/#/${userId}">${text}</a>`;

describe("nicksToPills", () => {
  const knownNicks = new Map([
    ["alice", "@alice:example.org"],
    ["Bo", "@bo:example.org"],
    ["carol[m]", "@carol:example.org"],
    ["dave", "@dave/x:example.org"],
  ]);

  it("leaves messages without known nicks alone", () => {
    assert.deepEqual(nicksToPills("hello <world>", knownNicks), { body: "hello <world>", mentions: [] });
  });

  it("pills an addressed nick at the start", () => {
    assert.deepEqual(nicksToPills("alice: hi", knownNicks), {
      body: "alice: hi",
      html: `${pill("@alice:example.org", "alice")}: hi`,
      mentions: ["@alice:example.org"],
    });
    assert.equal(nicksToPills("bo, <hi>", knownNicks).html, `${pill("@bo:example.org", "bo")}, &lt;hi&gt;`);
  });

  it("pills whole words only", () => {
    assert.equal(nicksToPills("ask Alice!", knownNicks).html, `ask ${pill("@alice:example.org", "Alice")}!`);
    assert.deepEqual(nicksToPills("malice alice_ alices", knownNicks).mentions, []);
    assert.equal(nicksToPills("(alice)", knownNicks).html, `(${pill("@alice:example.org", "alice")})`);
  });

  it("does not pill short nicks in the middle of a sentence", () => {
    assert.deepEqual(nicksToPills("so bo it goes", knownNicks).mentions, []);
  });

  it("matches nicks with brackets, in any case", () => {
    assert.deepEqual(nicksToPills("thanks CAROL{M}", knownNicks).mentions, ["@carol:example.org"]);
    assert.deepEqual(nicksToPills("thanks [alice]", knownNicks).mentions, ["@alice:example.org"]);
  });

  it("lists each user once", () => {
    assert.deepEqual(nicksToPills("alice: alice alice dave", knownNicks).mentions, [
      "@alice:example.org",
      "@dave/x:example.org",
    ]);
  });

  it("encodes ids in the link", () => {
    assert.equal(nicksToPills("dave: x", knownNicks).html, `${pill("@dave%2Fx:example.org", "dave")}: x`);
  });

  it("leaves nicks inside urls alone", () => {
    assert.deepEqual(
      nicksToPills("see https://example.org/alice and www.alice.org", knownNicks).mentions,
      [],
    );
  });

  it("keeps line breaks", () => {
    assert.equal(nicksToPills("alice\nhi", knownNicks).html, `${pill("@alice:example.org", "alice")}<br>hi`);
  });
});

describe("findNickMentions", () => {
  it("reports offsets", () => {
    assert.deepEqual(findNickMentions("hi alice", new Map([["alice", "@a:x"]])), [
      { start: 3, end: 8, nick: "alice", userId: "@a:x" },
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
