import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import express from "express";
import { listen } from "../../src/appservice/server.ts";
import { parseRoomId } from "../../src/ids.ts";
import { createProvisioningRouter, PROVISIONING_PREFIX } from "../../src/provisioning/router.ts";
import { GARDEN, LOBBY, MEMBER, MOD, type PlumbingSetup, setUp } from "./helpers.ts";

const SECRET = "provisioning-secret-0123456789";
const ROOM = parseRoomId("!plumbed:example.org");
const PORTAL = parseRoomId("!portal:example.org");
const LINKS = `${PROVISIONING_PREFIX}/rooms/${encodeURIComponent(ROOM)}/links`;
const RELAY = `${PROVISIONING_PREFIX}/rooms/${encodeURIComponent(ROOM)}/relay`;

let t: PlumbingSetup;
let server: Server;
let baseUrl: string;

beforeEach(async () => {
  t = await setUp();
  t.rooms.add(ROOM);
  const app = express();
  app.use(
    PROVISIONING_PREFIX,
    createProvisioningRouter({ secret: SECRET, plumbing: t.plumbing, logger: t.logs.logger }),
  );
  server = await listen(app, "127.0.0.1", 0);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer …`; null sends no header. */
  token?: string | null;
  /** Added as the user_id query parameter; null adds none. */
  userId?: string | null;
  /** A JSON value, or a string sent exactly as given. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

async function call(path: string, options: CallOptions = {}): Promise<Answer> {
  const { method = "GET", token = SECRET, userId = MOD, body, headers = {} } = options;
  const sent: Record<string, string> = { ...headers };
  if (token !== null) sent["authorization"] ??= `Bearer ${token}`;
  const init: RequestInit = { method, headers: sent };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    sent["content-type"] ??= "application/json";
  }
  const url = new URL(baseUrl + path);
  if (userId !== null) url.searchParams.set("user_id", userId);
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

function assertError(answer: Answer, status: number, errcode: string): string {
  assert.equal(answer.status, status, answer.text);
  const json = answer.json as { errcode?: unknown; error?: unknown };
  assert.deepEqual(Object.keys(json).sort(), ["errcode", "error"]);
  assert.equal(json.errcode, errcode);
  assert.equal(typeof json.error, "string");
  return json.error as string;
}

describe("authentication", () => {
  it("wants the secret as a bearer token", async () => {
    assertError(await call(LINKS, { token: null }), 401, "M_MISSING_TOKEN");
    assertError(
      await call(LINKS, { token: null, headers: { authorization: `Basic ${SECRET}` } }),
      401,
      "M_MISSING_TOKEN",
    );
    assertError(await call(LINKS, { token: "wrong-secret" }), 403, "M_FORBIDDEN");
    assertError(await call(LINKS, { token: `${SECRET}x` }), 403, "M_FORBIDDEN");
    assert.equal((await call(LINKS)).status, 200);
  });

  it("does not take the secret from the query string", async () => {
    assertError(await call(`${LINKS}?access_token=${SECRET}`, { token: null }), 401, "M_MISSING_TOKEN");
  });

  it("checks the secret before reading the body or the route", async () => {
    assertError(await call(LINKS, { method: "POST", token: "nope", body: "{not json" }), 403, "M_FORBIDDEN");
    assertError(await call(`${PROVISIONING_PREFIX}/nothing/here`, { token: null }), 401, "M_MISSING_TOKEN");
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("never writes the secret to the log", async () => {
    await call(LINKS, { token: "wrong-secret" });
    await call(`${LINKS}?note=${SECRET}`);
    assert.ok(t.logs.lines.length > 0);
    for (const line of t.logs.lines) assert.equal(line.includes(SECRET), false, line);
  });

  it("refuses to start without a secret", () => {
    assert.throws(() =>
      createProvisioningRouter({ secret: "", plumbing: t.plumbing, logger: t.logs.logger }),
    );
  });
});

describe("the acting user", () => {
  it("is required and must be a Matrix user id", async () => {
    assertError(await call(LINKS, { userId: null }), 400, "M_MISSING_PARAM");
    assertError(await call(LINKS, { userId: "mod" }), 400, "M_INVALID_PARAM");
    assertError(
      await call(`${LINKS}?user_id=${MOD}&user_id=${MEMBER}`, { userId: null }),
      400,
      "M_INVALID_PARAM",
    );
    assertError(
      await call(LINKS, { method: "POST", userId: null, body: { remote_room_id: LOBBY } }),
      400,
      "M_MISSING_PARAM",
    );
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("is whose power level counts", async () => {
    const error = assertError(
      await call(LINKS, { method: "POST", userId: MEMBER, body: { remote_room_id: LOBBY } }),
      403,
      "M_FORBIDDEN",
    );
    assert.match(error, /^You need power level 50/);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });
});

describe("routes", () => {
  it("GET links lists none, then the link", async () => {
    assert.deepEqual((await call(LINKS)).json, { links: [] });
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const answer = await call(LINKS);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, {
      links: [{ remote_room_id: LOBBY, kind: "plumbed", relay: false, linked_by: MOD, paused: null }],
    });
  });

  it("GET links is for the room's moderators only, like every other call", async () => {
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const error = assertError(await call(LINKS, { userId: MEMBER }), 403, "M_FORBIDDEN");
    assert.match(error, /^You need power level 50 in this room to see its links/);
    assert.ok(!error.includes(LOBBY), "the refusal does not name the remote room");
    const stranger = assertError(
      await call(LINKS, { userId: "@stranger:elsewhere.example" }),
      403,
      "M_FORBIDDEN",
    );
    assert.ok(!stranger.includes(LOBBY));
  });

  it("GET links of a room the bot cannot see: nothing for an unlinked one, a refusal for a linked one", async () => {
    const unseen = `${PROVISIONING_PREFIX}/rooms/${encodeURIComponent("!unseen:example.org")}/links`;
    assert.deepEqual((await call(unseen, { userId: MEMBER })).json, { links: [] });
    await t.store.putRoomLink({
      roomId: parseRoomId("!unseen:example.org"),
      remoteRoomId: GARDEN,
      kind: "portal",
      createdAt: 1,
    });
    const error = assertError(await call(unseen, { userId: MEMBER }), 403, "M_FORBIDDEN");
    assert.ok(!error.includes(GARDEN));
  });

  it("shows a portal as one", async () => {
    t.rooms.add(PORTAL);
    await t.store.putRoomLink({ roomId: PORTAL, remoteRoomId: GARDEN, kind: "portal", createdAt: 1 });
    const answer = await call(`${PROVISIONING_PREFIX}/rooms/${encodeURIComponent(PORTAL)}/links`);
    assert.deepEqual(answer.json, {
      links: [{ remote_room_id: GARDEN, kind: "portal", relay: false, linked_by: null, paused: null }],
    });
  });

  it("POST links links the room and answers with the link", async () => {
    const answer = await call(LINKS, { method: "POST", body: { remote_room_id: LOBBY } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      remote_room_id: LOBBY,
      kind: "plumbed",
      relay: false,
      linked_by: MOD,
      paused: null,
    });
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.linkedBy, MOD);
  });

  it("POST links answers each refusal with its status and errcode", async () => {
    const post = (remote: string) => call(LINKS, { method: "POST", body: { remote_room_id: remote } });
    assertError(await post("nowhere"), 404, "M_NOT_FOUND");
    t.network.refusal = "Not this one.";
    assert.equal(assertError(await post(LOBBY), 403, "M_FORBIDDEN"), "Not this one.");
    t.network.refusal = null;
    await post(LOBBY);
    assertError(await post(GARDEN), 409, "M_ROOM_IN_USE");
  });

  it("POST links wants a JSON object with remote_room_id", async () => {
    assertError(await call(LINKS, { method: "POST", body: "{not json" }), 400, "M_NOT_JSON");
    assertError(await call(LINKS, { method: "POST", body: {} }), 400, "M_BAD_JSON");
    assertError(await call(LINKS, { method: "POST", body: { remote_room_id: 7 } }), 400, "M_BAD_JSON");
    assertError(await call(LINKS, { method: "POST", body: { remote_room_id: "" } }), 400, "M_BAD_JSON");
    assertError(await call(LINKS, { method: "POST", body: [LOBBY] }), 400, "M_BAD_JSON");
    assertError(await call(LINKS, { method: "POST", body: "42" }), 400, "M_BAD_JSON");
    assertError(await call(LINKS, { method: "POST" }), 400, "M_BAD_JSON");
    const huge = { remote_room_id: LOBBY, padding: "x".repeat(70 * 1024) };
    assertError(await call(LINKS, { method: "POST", body: huge }), 413, "M_TOO_LARGE");
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("takes a JSON body whatever its content type says", async () => {
    const answer = await call(LINKS, {
      method: "POST",
      body: JSON.stringify({ remote_room_id: LOBBY }),
      headers: { "content-type": "text/plain" },
    });
    assert.equal(answer.status, 200, answer.text);
  });

  it("DELETE links unlinks", async () => {
    await t.plumbing.link(ROOM, LOBBY, MOD);
    assertError(await call(LINKS, { method: "DELETE", userId: MEMBER }), 403, "M_FORBIDDEN");
    const answer = await call(LINKS, { method: "DELETE" });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {});
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
    assertError(await call(LINKS, { method: "DELETE" }), 404, "M_NOT_FOUND");
  });

  it("DELETE links refuses a portal", async () => {
    await t.store.putRoomLink({ roomId: PORTAL, remoteRoomId: GARDEN, kind: "portal", createdAt: 1 });
    t.rooms.add(PORTAL);
    const answer = await call(`${PROVISIONING_PREFIX}/rooms/${encodeURIComponent(PORTAL)}/links`, {
      method: "DELETE",
    });
    assertError(answer, 400, "M_BAD_STATE");
  });

  it("PUT relay switches relaying and answers with the link", async () => {
    assertError(await call(RELAY, { method: "PUT", body: { enabled: true } }), 404, "M_NOT_FOUND");
    await t.plumbing.link(ROOM, LOBBY, MOD);
    const answer = await call(RELAY, { method: "PUT", body: { enabled: true } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, {
      remote_room_id: LOBBY,
      kind: "plumbed",
      relay: true,
      linked_by: MOD,
      paused: null,
    });
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, true);
    assertError(
      await call(RELAY, { method: "PUT", userId: MEMBER, body: { enabled: false } }),
      403,
      "M_FORBIDDEN",
    );
    assertError(await call(RELAY, { method: "PUT", body: { enabled: "yes" } }), 400, "M_BAD_JSON");
    assertError(await call(RELAY, { method: "PUT", body: {} }), 400, "M_BAD_JSON");
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, true);
  });

  it("refuses a room id that is not one", async () => {
    assertError(await call(`${PROVISIONING_PREFIX}/rooms/not-a-room/links`), 400, "M_INVALID_PARAM");
  });

  it("answers a wrong method with 405 and the allowed ones", async () => {
    const put = await call(LINKS, { method: "PUT", body: {} });
    assertError(put, 405, "M_UNRECOGNIZED");
    assert.equal(put.headers.get("allow"), "GET, POST, DELETE");
    const get = await call(RELAY);
    assertError(get, 405, "M_UNRECOGNIZED");
    assert.equal(get.headers.get("allow"), "PUT");
  });

  it("answers an unknown route with 404 M_UNRECOGNIZED", async () => {
    assertError(await call(`${PROVISIONING_PREFIX}/rooms`), 404, "M_UNRECOGNIZED");
    assertError(
      await call(`${PROVISIONING_PREFIX}/rooms/${encodeURIComponent(ROOM)}/other`),
      404,
      "M_UNRECOGNIZED",
    );
  });

  it("hides unexpected failures behind a 500 and logs them", async () => {
    t.network.resolveRoom = async () => {
      throw new Error("remote network on fire");
    };
    const answer = await call(LINKS, { method: "POST", body: { remote_room_id: LOBBY } });
    assert.equal(assertError(answer, 500, "M_UNKNOWN"), "internal error");
    assert.ok(t.logs.lines.some((line) => line.includes("remote network on fire")));
  });
});
