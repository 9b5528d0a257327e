import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { answersFor, type ChannelMember } from "../src/irc-link-approval.ts";

const op = (over: Partial<ChannelMember> = {}): ChannelMember => ({
  nick: "dave",
  ident: "dave",
  hostname: "10.0.0.1",
  account: undefined,
  operator: true,
  ...over,
});
const line = { nick: "dave", ident: "dave", hostname: "10.0.0.1" };

describe("answersFor: who may answer for an operator who was asked", () => {
  it("the same connection, still an operator", () => {
    assert.equal(answersFor(op(), line, op()), true);
    assert.equal(answersFor(op(), { ...line, nick: "DAVE" }, op({ nick: "DAVE" })), true);
  });

  it("not someone who took the nick after the operator left, or an operator no more", () => {
    assert.equal(answersFor(op(), line, undefined), false);
    assert.equal(answersFor(op(), line, op({ operator: false })), false);
    assert.equal(answersFor(op(), { ...line, ident: "mallory" }, op({ ident: "mallory" })), false);
    assert.equal(answersFor(op(), { ...line, hostname: "10.6.6.6" }, op({ hostname: "10.6.6.6" })), false);
  });

  it("where the server reports accounts, only the same account", () => {
    assert.equal(answersFor(op({ account: "dave" }), line, op({ account: "dave" })), true);
    assert.equal(answersFor(op({ account: "dave" }), line, op({ account: "mallory" })), false);
    assert.equal(answersFor(op({ account: "dave" }), line, op({ account: "" })), false);
  });
});
