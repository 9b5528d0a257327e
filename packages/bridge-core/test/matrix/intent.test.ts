import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseEventId, parseMxcUri, parseRoomId, parseUserId } from "../../src/ids.ts";
import { matrixPath } from "../../src/matrix/client.ts";
import { MatrixHttpError } from "../../src/matrix/errors.ts";
import { IntentFactory } from "../../src/matrix/intents.ts";
import { MembershipCache } from "../../src/matrix/membership-cache.ts";
import { FakeHomeserver, type RecordedRequest } from "./fake-homeserver.ts";
import { BOT, clientFor } from "./helpers.ts";

const GHOST = parseUserId("@remote_alice:example.org");
const ROOM = parseRoomId("!portal:example.org");
const REGISTER = "/_matrix/client/v3/register";
const JOIN = matrixPath`/_matrix/client/v3/join/${ROOM}`;
const INVITE = matrixPath`/_matrix/client/v3/rooms/${ROOM}/invite`;
const SEND = /^\/_matrix\/client\/v3\/rooms\/[^/]+\/send\//;
const FORBIDDEN = {
  status: 403,
  json: { errcode: "M_FORBIDDEN", error: "You are not invited to this room." },
};

let hs: FakeHomeserver;
let cache: MembershipCache;
let intents: IntentFactory;
beforeEach(async () => {
  hs = await FakeHomeserver.start();
  cache = new MembershipCache();
  intents = new IntentFactory({ client: clientFor(hs), botUserId: BOT, cache });
});
afterEach(() => hs.close());

/** `METHOD path as-user`, for asserting the order of requests. */
const summary = (r: RecordedRequest) => `${r.method} ${r.path} ${r.query.get("user_id") ?? "-"}`;

describe("Intent registration", () => {
  it("registers once, counting M_USER_IN_USE as success, authenticated by the as_token alone", async () => {
    hs.always("POST", REGISTER, { status: 400, json: { errcode: "M_USER_IN_USE", error: "taken" } });
    const ghost = intents.intentFor(GHOST);

    await Promise.all([ghost.ensureRegistered(), ghost.ensureRegistered()]);
    await ghost.ensureRegistered();

    assert.equal(hs.requests.length, 1);
    const [req] = hs.requests;
    assert.deepEqual(req?.json, {
      type: "m.login.application_service",
      username: "remote_alice",
      inhibit_login: true,
    });
    assert.equal(req?.query.has("user_id"), false);
    assert.equal(cache.isRegistered(GHOST), true);
  });

  it("never registers the bot", async () => {
    await intents.bot.ensureRegistered();
    assert.equal(hs.requests.length, 0);
  });

  it("surfaces other registration failures and tries again next time", async () => {
    hs.once("POST", REGISTER, { status: 400, json: { errcode: "M_EXCLUSIVE" } });
    hs.once("POST", REGISTER, { json: { user_id: GHOST } });
    const ghost = intents.intentFor(GHOST);
    await assert.rejects(
      ghost.ensureRegistered(),
      (err) => err instanceof MatrixHttpError && err.errcode === "M_EXCLUSIVE",
    );
    await ghost.ensureRegistered();
    assert.equal(hs.requests.length, 2);
  });

  it("registers and retries once when acting as a ghost the homeserver does not know", async () => {
    hs.once("PUT", SEND, {
      status: 403,
      json: { errcode: "M_FORBIDDEN", error: "Application service has not registered this user" },
    });
    hs.always("POST", REGISTER, { json: { user_id: GHOST } });
    hs.always("PUT", SEND, { json: { event_id: "$sent" } });

    const eventId = await intents.intentFor(GHOST).sendText(ROOM, "hello", "remote-1");

    assert.equal(eventId, "$sent");
    assert.deepEqual(hs.requests.map(summary), [
      `PUT ${matrixPath`/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/remote-1`} ${GHOST}`,
      `POST ${REGISTER} -`,
      `PUT ${matrixPath`/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/remote-1`} ${GHOST}`,
    ]);
  });
});

describe("Intent.ensureJoined", () => {
  it("joins once and then trusts the cache", async () => {
    cache.noteRegistered(GHOST);
    hs.always("POST", JOIN, { json: { room_id: ROOM } });
    const ghost = intents.intentFor(GHOST);

    await ghost.ensureJoined(ROOM);
    await ghost.ensureJoined(ROOM);

    assert.equal(hs.requests.length, 1);
    assert.equal(hs.requests[0]?.query.get("user_id"), GHOST);
  });

  it("has the bot invite the ghost when the room refuses it", async () => {
    cache.noteRegistered(GHOST);
    hs.once("POST", JOIN, FORBIDDEN);
    hs.always("POST", JOIN, { json: { room_id: ROOM } });
    hs.always("POST", INVITE, { json: {} });

    await intents.intentFor(GHOST).ensureJoined(ROOM);

    assert.deepEqual(hs.requests.map(summary), [
      `POST ${JOIN} ${GHOST}`,
      `POST ${JOIN} ${BOT}`,
      `POST ${INVITE} ${BOT}`,
      `POST ${JOIN} ${GHOST}`,
    ]);
    assert.deepEqual(hs.requestsTo("POST", INVITE)[0]?.json, { user_id: GHOST });
    assert.equal(cache.isJoined(ROOM, GHOST), true);
    assert.equal(cache.isJoined(ROOM, BOT), true);
  });

  it("registers an unknown ghost before falling back to the invite", async () => {
    hs.once("POST", JOIN, FORBIDDEN);
    hs.once("POST", JOIN, FORBIDDEN);
    hs.always("POST", JOIN, { json: { room_id: ROOM } });
    hs.always("POST", REGISTER, { status: 400, json: { errcode: "M_USER_IN_USE" } });
    hs.always("POST", INVITE, { json: {} });
    cache.noteMembership(ROOM, BOT, "join");

    await intents.intentFor(GHOST).ensureJoined(ROOM);

    assert.deepEqual(hs.requests.map(summary), [
      `POST ${JOIN} ${GHOST}`,
      `POST ${REGISTER} -`,
      `POST ${JOIN} ${GHOST}`,
      `POST ${INVITE} ${BOT}`,
      `POST ${JOIN} ${GHOST}`,
    ]);
  });

  it("does not hide the bot's own refusal", async () => {
    hs.always("POST", JOIN, FORBIDDEN);
    await assert.rejects(intents.bot.ensureJoined(ROOM), MatrixHttpError);
    assert.equal(hs.requests.length, 1);
  });
});

describe("Intent events", () => {
  beforeEach(() => {
    cache.noteRegistered(GHOST);
    cache.noteMembership(ROOM, GHOST, "join");
  });

  it("puts the caller's txnId in the send path, and a fresh one otherwise", async () => {
    hs.always("PUT", SEND, { json: { event_id: "$ev" } });
    const ghost = intents.intentFor(GHOST);

    await ghost.sendMessage(ROOM, { msgtype: "m.text", body: "a" }, "remote-msg-42");
    await ghost.sendNotice(ROOM, "b");
    await ghost.sendNotice(ROOM, "c");

    const paths = hs.requests.map((r) => r.path);
    assert.equal(paths[0], matrixPath`/_matrix/client/v3/rooms/${ROOM}/send/m.room.message/remote-msg-42`);
    assert.notEqual(paths[1], paths[2]);
    assert.deepEqual(hs.requests[1]?.json, { msgtype: "m.notice", body: "b" });
  });

  it("rejoins and resends once when the room refuses an event the cache thought was allowed", async () => {
    hs.once("PUT", SEND, FORBIDDEN);
    hs.always("PUT", SEND, { json: { event_id: "$ev" } });
    hs.always("POST", JOIN, { json: { room_id: ROOM } });

    await intents.intentFor(GHOST).sendText(ROOM, "hi", "t1");

    assert.deepEqual(
      hs.requests.map((r) => r.method),
      ["PUT", "POST", "PUT"],
    );
  });

  it("sends reactions as m.annotation relations", async () => {
    hs.always("PUT", SEND, { json: { event_id: "$reaction" } });
    const target = parseEventId("$target");
    await intents.intentFor(GHOST).react(ROOM, target, "👍", "react-1");
    assert.equal(hs.requests[0]?.path, matrixPath`/_matrix/client/v3/rooms/${ROOM}/send/m.reaction/react-1`);
    assert.deepEqual(hs.requests[0]?.json, {
      "m.relates_to": { rel_type: "m.annotation", event_id: target, key: "👍" },
    });
  });

  it("redacts with the given txnId and reason", async () => {
    const target = parseEventId("$target");
    const path = matrixPath`/_matrix/client/v3/rooms/${ROOM}/redact/${target}/redact-1`;
    hs.always("PUT", path, { json: { event_id: "$redaction" } });
    assert.equal(await intents.intentFor(GHOST).redact(ROOM, target, "spam", "redact-1"), "$redaction");
    assert.deepEqual(hs.requests[0]?.json, { reason: "spam" });
  });

  it("returns null for missing state and the content otherwise", async () => {
    const topic = matrixPath`/_matrix/client/v3/rooms/${ROOM}/state/m.room.topic/`;
    hs.once("GET", topic, { status: 404, json: { errcode: "M_NOT_FOUND" } });
    hs.once("GET", topic, { json: { topic: "t" } });
    const bot = intents.bot;
    assert.equal(await bot.getState(ROOM, "m.room.topic", ""), null);
    assert.deepEqual(await bot.getState(ROOM, "m.room.topic", ""), { topic: "t" });
  });
});

describe("Intent profiles", () => {
  const DISPLAYNAME = matrixPath`/_matrix/client/v3/profile/${GHOST}/displayname`;
  const PROFILE = matrixPath`/_matrix/client/v3/profile/${GHOST}`;
  beforeEach(() => cache.noteRegistered(GHOST));

  it("does not send a display name the user already has", async () => {
    hs.always("GET", PROFILE, { json: { displayname: "Old name" } });
    hs.always("PUT", DISPLAYNAME, { json: {} });
    const ghost = intents.intentFor(GHOST);

    await ghost.setDisplayName("Old name");
    await ghost.setDisplayName("New name");
    await ghost.setDisplayName("New name");

    assert.deepEqual(hs.requests.map(summary), [`GET ${PROFILE} ${GHOST}`, `PUT ${DISPLAYNAME} ${GHOST}`]);
    assert.deepEqual(hs.requests[1]?.json, { displayname: "New name" });
  });

  it("does not send an avatar the cache already holds", async () => {
    const avatar = parseMxcUri("mxc://example.org/avatar");
    cache.noteProfile(GHOST, { avatarUrl: avatar });
    await intents.intentFor(GHOST).setAvatarUrl(avatar);
    assert.equal(hs.requests.length, 0);
  });
});

describe("Intent rooms", () => {
  it("notes the creator as joined and the invitees as invited", async () => {
    const created = parseRoomId("!created:example.org");
    hs.always("POST", "/_matrix/client/v3/createRoom", { json: { room_id: created } });
    const roomId = await intents.bot.createRoom({ name: "Portal", invite: [GHOST] });
    assert.equal(roomId, created);
    assert.equal(cache.isJoined(created, BOT), true);
    assert.equal(cache.membership(created, GHOST), "invite");
  });

  it("fills the cache from joined_members", async () => {
    hs.always("GET", matrixPath`/_matrix/client/v3/rooms/${ROOM}/joined_members`, {
      json: { joined: { [GHOST]: { display_name: "Alice", avatar_url: null }, "not a user": {} } },
    });
    const members = await intents.bot.joinedMembers(ROOM);
    assert.deepEqual([...members], [[GHOST, { displayName: "Alice" }]]);
    assert.equal(cache.isJoined(ROOM, GHOST), true);
  });
});

describe("IntentFactory", () => {
  it("hands out one intent per user, and the bot for the bot's id", () => {
    assert.equal(intents.intentFor(GHOST), intents.intentFor(GHOST));
    assert.equal(intents.intentFor(BOT), intents.bot);
    assert.equal(intents.bot.userId, BOT);
  });
});
