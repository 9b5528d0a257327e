import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  CREATOR_POWER,
  type CreateEvent,
  effectivePowerLevel,
  hasPrivilegedCreators,
  powerLevelOf,
  stateEventLevel,
} from "../../src/bridge/power-levels.ts";
import { parseRoomId } from "../../src/ids.ts";
import { matrixPath } from "../../src/matrix/client.ts";
import { BOT, MEMBER, MOD, OWNER, type PlumbingSetup, setUp } from "./helpers.ts";

const CO = "@co:example.org";
const create = (version: string | undefined, extra: Record<string, unknown> = {}): CreateEvent => ({
  sender: OWNER,
  content: { ...(version !== undefined ? { room_version: version } : {}), ...extra },
});
const levels = { users: { [MOD]: 50, [OWNER]: 100 }, users_default: 0 };

describe("effectivePowerLevel", () => {
  it("reads the users map, then users_default, then 0", () => {
    assert.equal(effectivePowerLevel(MOD, create("10"), levels), 50);
    assert.equal(effectivePowerLevel(MEMBER, create("10"), levels), 0);
    assert.equal(effectivePowerLevel(MEMBER, create("10"), { users_default: 10 }), 10);
    assert.equal(effectivePowerLevel(MEMBER, create("10"), {}), 0);
  });

  it("reads levels written as strings, as rooms before version 10 may hold them", () => {
    const old = { users: { [MOD]: "75" }, users_default: "5" } as never;
    assert.equal(effectivePowerLevel(MOD, create("9"), old), 75);
    assert.equal(effectivePowerLevel(MEMBER, create("9"), old), 5);
    const junk = { users: { [MOD]: "lots" }, users_default: 1.5 } as never;
    assert.equal(effectivePowerLevel(MOD, create("9"), junk), 0);
  });

  it("ignores names that only the prototype has", () => {
    assert.equal(effectivePowerLevel("constructor", create("10"), { users_default: 3 }), 3);
  });

  it("gives the creators of a version 12 room unlimited power, listed or not", () => {
    const v12 = create("12", { additional_creators: [CO] });
    assert.equal(effectivePowerLevel(OWNER, v12, { users: {} }), CREATOR_POWER);
    assert.equal(effectivePowerLevel(CO, v12, { users: {} }), CREATOR_POWER);
    assert.equal(effectivePowerLevel(OWNER, v12, null), CREATOR_POWER);
    assert.equal(effectivePowerLevel(MOD, v12, levels), 50);
    assert.equal(effectivePowerLevel(MEMBER, v12, levels), 0);
    assert.equal(effectivePowerLevel(OWNER, create("13"), {}), CREATOR_POWER);
    assert.equal(effectivePowerLevel(OWNER, create("100"), {}), CREATOR_POWER);
  });

  it("treats creators as ordinary users before version 12 and in unknown versions", () => {
    for (const version of ["11", "10", "1", "org.example.v12-experiment", "12.1", undefined]) {
      const event = create(version, { additional_creators: [CO] });
      assert.equal(effectivePowerLevel(OWNER, event, levels), 100, String(version));
      assert.equal(effectivePowerLevel(CO, event, levels), 0, String(version));
      assert.equal(effectivePowerLevel(OWNER, event, { users: {} }), 0, String(version));
    }
  });

  it("gives the creator 100 and everyone else 0 in a room without power levels", () => {
    assert.equal(effectivePowerLevel(OWNER, create("11"), null), 100);
    assert.equal(effectivePowerLevel(MEMBER, create("11"), null), 0);
    // Up to version 10 the content names the creator, which is all a server ignoring `format=event` returns.
    const contentOnly: CreateEvent = { content: { room_version: "10", creator: OWNER } };
    assert.equal(effectivePowerLevel(OWNER, contentOnly, null), 100);
    assert.equal(effectivePowerLevel(MEMBER, null, null), 0);
  });

  it("knows which versions have privileged creators", () => {
    assert.equal(hasPrivilegedCreators("12"), true);
    assert.equal(hasPrivilegedCreators("21"), true);
    assert.equal(hasPrivilegedCreators("11"), false);
    assert.equal(hasPrivilegedCreators("org.matrix.hydra.11"), false);
    assert.equal(hasPrivilegedCreators(undefined), false);
    assert.equal(hasPrivilegedCreators(12), false);
  });
});

describe("stateEventLevel", () => {
  it("takes the event's own level, then state_default, then 50; 0 without power levels", () => {
    assert.equal(stateEventLevel("m.bridge", { events: { "m.bridge": 10 }, state_default: 50 }), 10);
    assert.equal(stateEventLevel("m.bridge", { events: {}, state_default: 25 }), 25);
    assert.equal(stateEventLevel("m.bridge", {}), 50);
    assert.equal(stateEventLevel("m.bridge", null), 0);
  });
});

describe("powerLevelOf", () => {
  let t: PlumbingSetup;
  beforeEach(async () => {
    t = await setUp();
  });
  afterEach(() => t.close());

  it("reads the whole create event and the power levels as the bot", async () => {
    const room = parseRoomId("!v12");
    t.rooms.add(room, { version: "12", creator: OWNER, additionalCreators: [CO], powerLevels: levels });
    assert.equal(await powerLevelOf(OWNER, room, t.intents), CREATOR_POWER);
    assert.equal(await powerLevelOf(CO, room, t.intents), CREATOR_POWER);
    assert.equal(await powerLevelOf(MOD, room, t.intents), 50);
    assert.equal(await powerLevelOf(MEMBER, room, t.intents), 0);

    const createReads = t.hs.requestsTo(
      "GET",
      matrixPath`/_matrix/client/v3/rooms/${room}/state/m.room.create/`,
    );
    assert.ok(createReads.length > 0);
    for (const req of createReads) {
      assert.equal(req.query.get("format"), "event");
      assert.equal(req.query.get("user_id"), BOT);
    }
  });

  it("gives the creator of a version 11 room without power levels 100", async () => {
    const room = parseRoomId("!nopl:example.org");
    t.rooms.add(room, { version: "11", creator: OWNER, powerLevels: null });
    assert.equal(await powerLevelOf(OWNER, room, t.intents), 100);
    assert.equal(await powerLevelOf(MOD, room, t.intents), 0);
  });

  it("understands a server that answers with the content only", async () => {
    const room = parseRoomId("!old:example.org");
    t.hs.once("GET", matrixPath`/_matrix/client/v3/rooms/${room}/state/m.room.create/`, {
      json: { room_version: "10", creator: OWNER, type: "m.space" },
    });
    t.rooms.add(room, { version: "10", creator: OWNER, powerLevels: null });
    assert.equal(await powerLevelOf(OWNER, room, t.intents), 100);
  });
});
