import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseRoomId, remoteRoomId } from "../../src/ids.ts";
import { remoteRoomKey } from "../../src/pipeline/room-queues.ts";
import { PlumbingError } from "../../src/room-linking.ts";
import type { RoomLink } from "../../src/store/store.ts";
import {
  BOT,
  bridgeStateKey,
  defaultPowerLevels,
  GARDEN,
  LOBBY,
  logLines,
  MEMBER,
  MOD,
  naming,
  OWNER,
  type PlumbingSetup,
  setUp,
} from "./helpers.ts";

const ROOM = parseRoomId("!plumbed:example.org");
const OTHER = parseRoomId("!other:example.org");
const PORTAL = parseRoomId("!portal:example.org");
const STATE_PUT = /^\/_matrix\/client\/v3\/rooms\/[^/]+\/state\/(m\.bridge|uk\.half-shot\.bridge)\//;

let t: PlumbingSetup;
beforeEach(async () => {
  t = await setUp();
});
afterEach(() => t.close());

/** Asserts that `promise` rejects with a PlumbingError of this status and errcode, and returns its message. */
async function refusal(promise: Promise<unknown>, status: number, errcode: string): Promise<string> {
  let message = "";
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof PlumbingError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.errcode, errcode);
    message = err.message;
    return true;
  });
  return message;
}

const portalLink = (): RoomLink => ({ roomId: PORTAL, remoteRoomId: GARDEN, kind: "portal", createdAt: 1 });

describe("Plumbing.link", () => {
  it("stores a plumbed link and marks the room with both m.bridge events", async () => {
    t.rooms.add(ROOM);
    const before = Date.now();
    const link = await t.plumbing.link(ROOM, LOBBY, MOD);

    assert.equal(link.roomId, ROOM);
    assert.equal(link.remoteRoomId, LOBBY);
    assert.equal(link.kind, "plumbed");
    assert.equal(link.linkedBy, MOD);
    assert.equal(link.relay, false);
    assert.ok(link.createdAt >= before);
    assert.deepEqual(await t.store.getRoomLinkByMatrix(ROOM), link);
    assert.deepEqual(await t.store.getRoomLinkByRemote(LOBBY), link);
    assert.deepEqual(await t.plumbing.links(ROOM), [link]);

    const expected = {
      bridgebot: BOT,
      creator: MOD,
      protocol: { id: "testnet", displayname: "TestNet" },
      channel: { id: LOBBY, displayname: "The Lobby" },
    };
    assert.deepEqual(t.rooms.state(ROOM, "m.bridge", bridgeStateKey(LOBBY)), expected);
    assert.deepEqual(t.rooms.state(ROOM, "uk.half-shot.bridge", bridgeStateKey(LOBBY)), expected);
    assert.deepEqual(t.network.validated, [[LOBBY, MOD]]);
  });

  it("never touches the room's power levels, name or other settings", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const writes = t.hs.requests.filter((r) => r.method === "PUT" || r.method === "POST");
    for (const req of writes) {
      assert.ok(
        STATE_PUT.test(req.path) || /\/join\//.test(req.path),
        `unexpected ${req.method} ${req.path}`,
      );
    }
    assert.deepEqual(t.rooms.state(ROOM, "m.room.power_levels", ""), defaultPowerLevels());
  });

  it("joins the room first when the bot is not in it yet", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    assert.equal(t.rooms.isMember(ROOM, BOT), true);
    assert.equal(t.hs.requests.filter((r) => /\/join\//.test(r.path)).length, 1);
  });

  it("refuses a requester below power level 50, and stores nothing", async () => {
    t.rooms.add(ROOM, { powerLevels: { ...defaultPowerLevels(), users: { [MOD]: 49, [BOT]: 100 } } });
    const message = await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 403, "M_FORBIDDEN");
    assert.match(message, /^You need power level 50 .*you have 49\.$/);
    const memberMessage = await refusal(t.plumbing.link(ROOM, LOBBY, MEMBER), 403, "M_FORBIDDEN");
    assert.match(memberMessage, /you have 0\./);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
    assert.equal(t.hs.requests.filter((r) => STATE_PUT.test(r.path)).length, 0);
    assert.deepEqual(t.network.validated, []);
  });

  it("lets the creators of a version 12 room link it, though no power levels list them", async () => {
    const v12 = parseRoomId("!hashlikeid");
    const co = "@co:example.org";
    t.rooms.add(v12, {
      version: "12",
      creator: OWNER,
      additionalCreators: [co],
      powerLevels: { users: { [BOT]: 100 }, users_default: 0 },
    });
    await refusal(t.plumbing.link(v12, LOBBY, MEMBER), 403, "M_FORBIDDEN");
    const link = await t.plumbing.link(v12, LOBBY, OWNER);
    assert.equal(link.linkedBy, OWNER);
    await t.plumbing.unlink(v12, co as typeof OWNER);
    assert.equal(await t.store.getRoomLinkByMatrix(v12), null);
  });

  it("lets the creator of a room without power levels link it", async () => {
    t.rooms.add(ROOM, { version: "11", creator: OWNER, powerLevels: null });
    await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 403, "M_FORBIDDEN");
    await t.plumbing.link(ROOM, LOBBY, OWNER);
    // Everybody may send state in such a room, the bot included.
    assert.ok(t.rooms.state(ROOM, "m.bridge", bridgeStateKey(LOBBY)));
  });

  it("says how to let the bot in when it may not join", async () => {
    t.rooms.add(ROOM, { botMayJoin: false });
    const message = await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 403, "M_FORBIDDEN");
    assert.match(message, /invite @bridgebot:example\.org/);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("refuses a room that is already linked, naming what it is linked to", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const message = await refusal(t.plumbing.link(ROOM, GARDEN, MOD), 409, "M_ROOM_IN_USE");
    assert.match(message, /already linked to lobby/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.remoteRoomId, LOBBY);
    assert.equal(await t.store.getRoomLinkByRemote(GARDEN), null);
  });

  it("refuses a remote room that already has a portal or a plumbed room, naming the room", async () => {
    await t.store.putRoomLink(portalLink());
    t.rooms.add(ROOM);
    const message = await refusal(t.plumbing.link(ROOM, GARDEN, MOD), 409, "M_ROOM_IN_USE");
    assert.match(message, /garden is already bridged to !portal:example\.org/);

    t.rooms.add(OTHER);
    await t.plumbing.link(OTHER, LOBBY, MOD);
    const again = await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 409, "M_ROOM_IN_USE");
    assert.match(again, /!other:example\.org/);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("refuses a remote room the network does not know", async () => {
    t.rooms.add(ROOM);
    const message = await refusal(t.plumbing.link(ROOM, remoteRoomId("nowhere"), MOD), 404, "M_NOT_FOUND");
    assert.equal(message, "TestNet has no room nowhere.");
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("refuses with the network's own words when validateLink says no", async () => {
    t.rooms.add(ROOM);
    t.network.refusal = "Only channel operators may link lobby.";
    const message = await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 403, "M_FORBIDDEN");
    assert.equal(message, "Only channel operators may link lobby.");
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);

    t.network.refusal = "";
    assert.match(await refusal(t.plumbing.link(ROOM, LOBBY, MOD), 403, "M_FORBIDDEN"), /refused/);
  });

  it("links without asking when the network has no validateLink", async () => {
    t.rooms.add(ROOM);
    delete t.network.validateLink;
    assert.equal((await t.plumbing.link(ROOM, LOBBY, MOD)).kind, "plumbed");
  });

  it("refuses an empty or absurdly long remote room id", async () => {
    t.rooms.add(ROOM);
    await refusal(t.plumbing.link(ROOM, remoteRoomId(""), MOD), 400, "M_INVALID_PARAM");
    await refusal(t.plumbing.link(ROOM, remoteRoomId("x".repeat(2000)), MOD), 400, "M_INVALID_PARAM");
  });

  it("stores the network's spelling of the remote room", async () => {
    t.rooms.add(ROOM);
    t.network.remoteRooms.set("LOBBY", { id: LOBBY });
    const link = await t.plumbing.link(ROOM, remoteRoomId("LOBBY"), MOD);
    assert.equal(link.remoteRoomId, LOBBY);
    assert.equal((await t.store.getRoomLinkByRemote(LOBBY))?.roomId, ROOM);
  });

  it("keeps the link without m.bridge when the bot may not send state, and says so in the log", async () => {
    t.rooms.add(ROOM, { powerLevels: { users: { [MOD]: 50 }, users_default: 0, state_default: 50 } });
    const link = await t.plumbing.link(ROOM, LOBBY, MOD);
    assert.deepEqual(await t.store.getRoomLinkByMatrix(ROOM), link);
    assert.equal(t.hs.requests.filter((r) => STATE_PUT.test(r.path)).length, 0);
    assert.equal(logLines(t.logs, "warn", "may not send state").length, 2);
  });

  it("sends m.bridge when the room lets everyone send it, whatever state_default says", async () => {
    t.rooms.add(ROOM, {
      powerLevels: { users: { [MOD]: 50 }, state_default: 50, events: { "m.bridge": 0 } },
    });
    await t.plumbing.link(ROOM, LOBBY, MOD);
    assert.ok(t.rooms.state(ROOM, "m.bridge", bridgeStateKey(LOBBY)));
    assert.equal(t.rooms.state(ROOM, "uk.half-shot.bridge", bridgeStateKey(LOBBY)), undefined);
  });

  it("keeps the link when the server refuses the state events anyway", async () => {
    t.rooms.add(ROOM, { refuseState: true });
    const link = await t.plumbing.link(ROOM, LOBBY, MOD);
    assert.deepEqual(await t.store.getRoomLinkByMatrix(ROOM), link);
    assert.equal(logLines(t.logs, "warn", "could not send bridge state").length, 2);
  });

  it("lets only one of two rooms racing for the same remote room have it", async () => {
    t.rooms.add(ROOM);
    t.rooms.add(OTHER);
    const results = await Promise.allSettled([
      t.plumbing.link(ROOM, LOBBY, MOD),
      t.plumbing.link(OTHER, LOBBY, MOD),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const failed = results.find((r) => r.status === "rejected");
    assert.ok(failed?.status === "rejected" && failed.reason instanceof PlumbingError);
    assert.equal(failed.reason.status, 409);
  });

  it("waits for work queued under the remote room's key, such as a portal being created", async () => {
    t.rooms.add(ROOM);
    let release!: () => void;
    const held = t.queue.run(remoteRoomKey(LOBBY), () => new Promise<void>((resolve) => (release = resolve)));
    let settled = false;
    const linking = t.plumbing.link(ROOM, LOBBY, MOD).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(settled, false);
    // The portal won the race: the link must see it.
    await t.store.putRoomLink({ ...portalLink(), remoteRoomId: LOBBY });
    release();
    await held;
    await refusal(linking, 409, "M_ROOM_IN_USE");
  });
});

describe("Plumbing.unlink", () => {
  it("removes the link, empties m.bridge, and the ghosts and the bot leave", async () => {
    const ghost = naming.ghostUserId("alice" as never);
    t.rooms.add(ROOM, { members: [OWNER, MOD, MEMBER] });
    await t.plumbing.link(ROOM, LOBBY, MOD);
    t.rooms.addMember(ROOM, ghost);

    const removed = await t.plumbing.unlink(ROOM, MOD);
    assert.equal(removed.remoteRoomId, LOBBY);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
    assert.equal(await t.store.getRoomLinkByRemote(LOBBY), null);
    assert.deepEqual(await t.plumbing.links(ROOM), []);
    assert.deepEqual(t.rooms.state(ROOM, "m.bridge", bridgeStateKey(LOBBY)), {});
    assert.deepEqual(t.rooms.state(ROOM, "uk.half-shot.bridge", bridgeStateKey(LOBBY)), {});
    assert.equal(t.rooms.isMember(ROOM, ghost), false);
    assert.equal(t.rooms.isMember(ROOM, BOT), false);
    for (const user of [OWNER, MOD, MEMBER]) assert.equal(t.rooms.isMember(ROOM, user), true);
  });

  it("does not write m.bridge state that was never there", async () => {
    t.rooms.add(ROOM, { powerLevels: { users: { [MOD]: 50 }, state_default: 50 } });
    await t.plumbing.link(ROOM, LOBBY, MOD);
    await t.plumbing.unlink(ROOM, MOD);
    assert.equal(t.hs.requests.filter((r) => r.method === "PUT" && STATE_PUT.test(r.path)).length, 0);
  });

  it("refuses a requester below power level 50 and keeps the link", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const message = await refusal(t.plumbing.unlink(ROOM, MEMBER), 403, "M_FORBIDDEN");
    assert.match(message, /^You need power level 50 in this room to unlink it/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.remoteRoomId, LOBBY);
    assert.equal(t.rooms.isMember(ROOM, BOT), true);
  });

  it("refuses to unlink a portal", async () => {
    await t.store.putRoomLink(portalLink());
    t.rooms.add(PORTAL);
    const message = await refusal(t.plumbing.unlink(PORTAL, OWNER), 400, "M_BAD_STATE");
    assert.match(message, /cannot be unlinked/);
    assert.deepEqual(await t.store.getRoomLinkByMatrix(PORTAL), portalLink());
  });

  it("says when the room is not linked", async () => {
    t.rooms.add(ROOM);
    const message = await refusal(t.plumbing.unlink(ROOM, MOD), 404, "M_NOT_FOUND");
    assert.equal(message, "This room is not linked to any TestNet room.");
  });

  it("forgets the link of a room the bot was thrown out of, without writing to it", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    t.rooms.add(ROOM, { botMayJoin: false });
    t.cache.noteMembership(ROOM, BOT, "ban");
    const before = t.hs.requests.length;

    await t.plumbing.unlink(ROOM, MEMBER);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
    const writes = t.hs.requests.slice(before).filter((r) => r.method === "PUT");
    assert.deepEqual(writes, []);
  });
});

describe("Plumbing.forget", () => {
  it("drops a plumbed link and leaves portals alone", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    await t.store.putRoomLink(portalLink());
    const before = t.hs.requests.length;

    assert.equal((await t.plumbing.forget(ROOM))?.remoteRoomId, LOBBY);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
    assert.equal(await t.plumbing.forget(PORTAL), null);
    assert.deepEqual(await t.store.getRoomLinkByMatrix(PORTAL), portalLink());
    assert.equal(await t.plumbing.forget(OTHER), null);
    assert.equal(t.hs.requests.length, before);
  });
});

describe("Plumbing.setRelay", () => {
  it("switches relaying on and off and stores it", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    assert.equal((await t.plumbing.setRelay(ROOM, true, MOD)).relay, true);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, true);
    assert.equal((await t.plumbing.setRelay(ROOM, false, MOD)).relay, false);
    const stored = await t.store.getRoomLinkByMatrix(ROOM);
    assert.equal(stored?.relay, false);
    assert.equal(stored?.kind, "plumbed");
    assert.equal(stored?.linkedBy, MOD);
  });

  it("refuses a requester below power level 50", async () => {
    t.rooms.add(ROOM);
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const message = await refusal(t.plumbing.setRelay(ROOM, true, MEMBER), 403, "M_FORBIDDEN");
    assert.match(message, /to switch relaying/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, false);
  });

  it("needs a linked room", async () => {
    t.rooms.add(ROOM);
    await refusal(t.plumbing.setRelay(ROOM, true, MOD), 404, "M_NOT_FOUND");
  });

  it("works in a portal for whoever has the power there", async () => {
    await t.store.putRoomLink(portalLink());
    t.rooms.add(PORTAL, { creator: BOT, powerLevels: { users: { [BOT]: 100, [MOD]: 50 } } });
    assert.equal((await t.plumbing.setRelay(PORTAL, true, MOD)).relay, true);
    const stored = await t.store.getRoomLinkByMatrix(PORTAL);
    assert.equal(stored?.kind, "portal");
    assert.equal(stored?.relay, true);
  });
});

describe("bridge admins", () => {
  it("may act in rooms where they have no power", async () => {
    await t.close();
    t = await setUp({ isBridgeAdmin: (userId) => userId === MEMBER });
    await t.store.putRoomLink(portalLink());
    t.rooms.add(PORTAL, { creator: BOT, powerLevels: { users: { [BOT]: 100 } } });
    assert.equal((await t.plumbing.setRelay(PORTAL, true, MEMBER)).relay, true);
    await refusal(t.plumbing.setRelay(PORTAL, false, MOD), 403, "M_FORBIDDEN");
  });
});
