import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PortalPolicy } from "../../src/bridge/portal-policy.ts";
import { remoteRoomId } from "../../src/ids.ts";

const id = remoteRoomId;

describe("PortalPolicy", () => {
  it("allows every room without rules", () => {
    assert.equal(new PortalPolicy().allows(id("#anything")), true);
  });

  it("allows only matching rooms with an allow list, ignoring case; deny wins", () => {
    const policy = new PortalPolicy({
      allow: ["#matrix-*", "room_?@conference.example.org"],
      deny: ["#matrix-secret*"],
    });
    assert.equal(policy.allows(id("#matrix-dev")), true);
    assert.equal(policy.allows(id("#MATRIX-dev")), true);
    assert.equal(policy.allows(id("#other")), false);
    assert.equal(policy.allows(id("#matrix-secret")), false);
    assert.equal(policy.allows(id("#Matrix-Secrets")), false);
    assert.equal(policy.allows(id("room_1@conference.example.org")), true);
    assert.equal(policy.allows(id("room_12@conference.example.org")), false);
  });

  it("treats every character but * and ? literally, and matches the whole id", () => {
    const policy = new PortalPolicy({ allow: ["#a.b", "(x)+"] });
    assert.equal(policy.allows(id("#a.b")), true);
    assert.equal(policy.allows(id("#axb")), false);
    assert.equal(policy.allows(id("(x)+")), true);
    assert.equal(policy.allows(id("xx")), false);
    assert.equal(policy.allows(id("#a.b.c")), false);
  });

  it("an empty allow list allows nothing", () => {
    assert.equal(new PortalPolicy({ allow: [] }).allows(id("#x")), false);
  });
});
