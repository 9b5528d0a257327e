import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMxcUri, parseRoomId, parseUserId } from "../../src/ids.ts";
import { LruMap } from "../../src/matrix/lru-map.ts";
import { MembershipCache } from "../../src/matrix/membership-cache.ts";

const ROOM = parseRoomId("!room:example.org");
const ALICE = parseUserId("@alice:example.org");
const BOB = parseUserId("@bob:example.org");

describe("LruMap", () => {
  it("evicts the least recently used entry", () => {
    const lru = new LruMap<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.get("a");
    lru.set("c", 3);
    assert.equal(lru.get("a"), 1);
    assert.equal(lru.get("b"), undefined);
    assert.equal(lru.get("c"), 3);
  });
});

describe("MembershipCache", () => {
  it("tracks joins, invites and departures", () => {
    const cache = new MembershipCache();
    cache.noteMembership(ROOM, ALICE, "invite");
    assert.equal(cache.membership(ROOM, ALICE), "invite");
    assert.equal(cache.isJoined(ROOM, ALICE), false);
    cache.noteMembership(ROOM, ALICE, "join");
    assert.equal(cache.isJoined(ROOM, ALICE), true);
    cache.noteMembership(ROOM, ALICE, "ban");
    assert.equal(cache.membership(ROOM, ALICE), undefined);
  });

  it("replaces the joined set with an authoritative member list, keeping invites", () => {
    const cache = new MembershipCache();
    cache.noteMembership(ROOM, ALICE, "join");
    cache.noteMembership(ROOM, BOB, "invite");
    const carol = parseUserId("@carol:example.org");
    cache.noteJoinedMembers(ROOM, [carol]);
    assert.equal(cache.isJoined(ROOM, ALICE), false);
    assert.equal(cache.membership(ROOM, BOB), "invite");
    assert.equal(cache.isJoined(ROOM, carol), true);
  });

  it("forgets rooms, explicitly and beyond maxRooms", () => {
    const cache = new MembershipCache({ maxRooms: 2 });
    const rooms = ["!a:x.org", "!b:x.org", "!c:x.org"].map(parseRoomId);
    for (const room of rooms) cache.noteMembership(room, ALICE, "join");
    assert.deepEqual(
      rooms.map((room) => cache.isJoined(room, ALICE)),
      [false, true, true],
    );
    cache.forgetRoom(ROOM);
    cache.forgetRoom(rooms[2]!);
    assert.equal(cache.isJoined(rooms[2]!, ALICE), false);
  });

  it("merges profile updates and remembers registered users", () => {
    const cache = new MembershipCache();
    const avatar = parseMxcUri("mxc://example.org/avatar");
    cache.noteProfile(ALICE, { displayName: "Alice" });
    cache.noteProfile(ALICE, { avatarUrl: avatar });
    assert.deepEqual(cache.profile(ALICE), { displayName: "Alice", avatarUrl: avatar });
    assert.equal(cache.isRegistered(ALICE), false);
    cache.noteRegistered(ALICE);
    assert.equal(cache.isRegistered(ALICE), true);
  });
});
