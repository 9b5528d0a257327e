import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { remoteUserId } from "bridge-core";
import { NickIdentities } from "../src/nick-identities.ts";

describe("NickIdentities", () => {
  it("keeps one identity through nick changes, and knows the current nick", () => {
    const ids = new NickIdentities();
    const dave = ids.identify("Dave");
    assert.equal(dave, "dave");
    assert.equal(ids.renamed("Dave", "Davey"), dave);
    assert.equal(ids.identify("davey"), dave);
    assert.equal(ids.currentNick(dave), "Davey");
  });

  it("gives someone who takes a renamed person's old nick an identity of their own", () => {
    const ids = new NickIdentities();
    const first = ids.identify("alice");
    ids.renamed("alice", "alice_away");
    const second = ids.identify("alice");
    assert.notEqual(second, first);
    assert.equal(second, "alice~2");
    assert.equal(ids.currentNick(first), "alice_away");
    assert.equal(ids.currentNick(second), "alice");
  });

  it("frees a nick and its identity once its owner is gone", () => {
    const ids = new NickIdentities();
    const first = ids.identify("bob");
    ids.forget("BOB");
    assert.equal(ids.identify("bob"), first, "the next bob starts afresh with the plain identity");
    assert.equal(ids.currentNick(remoteUserId("nobody")), "nobody", "unknown identities are their nick");
  });
});
