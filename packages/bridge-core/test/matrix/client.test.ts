import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseUserId } from "../../src/ids.ts";
import { matrixPath } from "../../src/matrix/client.ts";
import { MatrixConnectionError, MatrixHttpError } from "../../src/matrix/errors.ts";
import { FakeHomeserver } from "./fake-homeserver.ts";
import { AS_TOKEN, captureLogs, clientFor } from "./helpers.ts";

const ALICE = parseUserId("@remote_alice:example.org");
const SEND_PATH = "/_matrix/client/v3/rooms/!room%3Aexample.org/send/m.room.message/txn1";
const CREATE_ROOM = "/_matrix/client/v3/createRoom";

let hs: FakeHomeserver;
beforeEach(async () => {
  hs = await FakeHomeserver.start();
});
afterEach(() => hs.close());

describe("matrixPath", () => {
  it("encodes each interpolated segment and nothing else", () => {
    const path = matrixPath`/_matrix/client/v3/rooms/${"!room:example.org"}/state/${"m.room.name"}/${""}`;
    assert.equal(path, "/_matrix/client/v3/rooms/!room%3Aexample.org/state/m.room.name/");
    assert.equal(matrixPath`/a/${"x/y?z#"}`, "/a/x%2Fy%3Fz%23");
  });
});

describe("MatrixClient requests", () => {
  it("authenticates with the as_token as a bearer token and asserts user_id when acting as a user", async () => {
    hs.always("GET", "/_matrix/client/v3/account/whoami", { json: { user_id: ALICE } });
    const client = clientFor(hs);

    await client.request("GET", "/_matrix/client/v3/account/whoami", {
      asUser: ALICE,
      query: { a: 1, b: undefined },
    });
    await client.request("GET", "/_matrix/client/v3/account/whoami");

    const [asAlice, asBot] = hs.requests;
    assert.equal(asAlice?.headers.authorization, `Bearer ${AS_TOKEN}`);
    assert.equal(asAlice?.query.get("user_id"), ALICE);
    assert.equal(asAlice?.query.get("a"), "1");
    assert.equal(asAlice?.query.has("b"), false);
    assert.equal(asAlice?.query.has("access_token"), false);
    assert.equal(asBot?.headers.authorization, `Bearer ${AS_TOKEN}`);
    assert.equal(asBot?.query.has("user_id"), false);
  });

  it("sends the body as JSON and returns the parsed response", async () => {
    hs.always("PUT", SEND_PATH, { json: { event_id: "$ev" } });
    const res = await clientFor(hs).request<{ event_id: string }>("PUT", SEND_PATH, { body: { body: "hi" } });
    assert.deepEqual(res, { event_id: "$ev" });
    assert.equal(hs.requests[0]?.headers["content-type"], "application/json");
    assert.deepEqual(hs.requests[0]?.json, { body: "hi" });
  });

  it("surfaces a 4xx as MatrixHttpError without retrying, and without the query in the message", async () => {
    hs.always("PUT", SEND_PATH, { status: 403, json: { errcode: "M_FORBIDDEN", error: "not in room" } });
    const err = await clientFor(hs)
      .request("PUT", SEND_PATH, { body: {}, asUser: ALICE })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MatrixHttpError);
    assert.equal(err.status, 403);
    assert.equal(err.errcode, "M_FORBIDDEN");
    assert.equal(err.method, "PUT");
    assert.equal(err.path, SEND_PATH);
    assert.deepEqual(err.body, { errcode: "M_FORBIDDEN", error: "not in room" });
    assert.doesNotMatch(err.message, /user_id|\?/);
    assert.equal(hs.requests.length, 1);
  });

  it("reports M_UNKNOWN when the error body has no errcode", async () => {
    hs.always("GET", "/x", { status: 400, raw: Buffer.from("<html>bad request</html>") });
    const err = await clientFor(hs)
      .request("GET", "/x")
      .catch((e: unknown) => e);
    assert.ok(err instanceof MatrixHttpError);
    assert.equal(err.errcode, "M_UNKNOWN");
    assert.equal(err.body, "<html>bad request</html>");
  });
});

describe("MatrixClient retries", () => {
  it("retries a 429 after retry_after_ms from the body, even for a POST", async () => {
    hs.once("POST", CREATE_ROOM, { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 40 } });
    hs.once("POST", CREATE_ROOM, { json: { room_id: "!new:example.org" } });
    // A backoff this long would time the test out, so passing proves the server's wait was used.
    const client = clientFor(hs, { retryBaseMs: 100_000 });

    const started = performance.now();
    const res = await client.request<{ room_id: string }>("POST", CREATE_ROOM, { body: {} });
    assert.equal(res.room_id, "!new:example.org");
    assert.ok(performance.now() - started >= 35);
    assert.equal(hs.requests.length, 2);
  });

  it("retries a 429 after the Retry-After header when the body gives no wait", async () => {
    hs.once("GET", "/x", {
      status: 429,
      headers: { "retry-after": "1" },
      json: { errcode: "M_LIMIT_EXCEEDED" },
    });
    hs.once("GET", "/x", { json: {} });
    const client = clientFor(hs, { retryBaseMs: 100_000 });

    const started = performance.now();
    await client.request("GET", "/x");
    assert.ok(performance.now() - started >= 950);
    assert.equal(hs.requests.length, 2);
  });

  it("treats M_LIMIT_EXCEEDED as a rate limit whatever the status", async () => {
    hs.once("POST", CREATE_ROOM, { status: 400, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 1 } });
    hs.once("POST", CREATE_ROOM, { json: { room_id: "!new:example.org" } });
    await clientFor(hs).request("POST", CREATE_ROOM, { body: {} });
    assert.equal(hs.requests.length, 2);
  });

  it("retries a 5xx for a PUT", async () => {
    hs.once("PUT", SEND_PATH, { status: 502, raw: Buffer.from("Bad Gateway") });
    hs.once("PUT", SEND_PATH, { status: 500, json: { errcode: "M_UNKNOWN" } });
    hs.once("PUT", SEND_PATH, { json: { event_id: "$ev" } });
    const res = await clientFor(hs).request<{ event_id: string }>("PUT", SEND_PATH, { body: {} });
    assert.equal(res.event_id, "$ev");
    assert.equal(hs.requests.length, 3);
  });

  it("does not retry a 5xx for a POST, which might have taken effect", async () => {
    hs.once("POST", CREATE_ROOM, { status: 500, json: { errcode: "M_UNKNOWN", error: "oops" } });
    hs.once("POST", CREATE_ROOM, { json: { room_id: "!dup:example.org" } });
    const err = await clientFor(hs)
      .request("POST", CREATE_ROOM, { body: {} })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MatrixHttpError);
    assert.equal(err.status, 500);
    assert.equal(hs.requests.length, 1);
  });

  it("retries a 5xx for a POST the caller marks idempotent", async () => {
    hs.once("POST", "/join", { status: 503, json: {} });
    hs.once("POST", "/join", { json: { room_id: "!r:example.org" } });
    await clientFor(hs).request("POST", "/join", { body: {}, idempotent: true });
    assert.equal(hs.requests.length, 2);
  });

  it("gives up after maxRetries retries and throws the last error", async () => {
    hs.always("PUT", SEND_PATH, { status: 500, json: { errcode: "M_UNKNOWN" } });
    const err = await clientFor(hs, { maxRetries: 2 })
      .request("PUT", SEND_PATH, { body: {} })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MatrixHttpError);
    assert.equal(hs.requests.length, 3);
  });

  it("limits rate-limit retries by maxRetries too", async () => {
    hs.always("POST", CREATE_ROOM, { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 1 } });
    const err = await clientFor(hs, { maxRetries: 1 })
      .request("POST", CREATE_ROOM, { body: {} })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MatrixHttpError);
    assert.equal(err.errcode, "M_LIMIT_EXCEEDED");
    assert.equal(hs.requests.length, 2);
  });

  it("retries a dropped connection for a GET but not for a POST", async () => {
    hs.once("GET", "/x", { hangUp: true });
    hs.once("GET", "/x", { json: { ok: true } });
    hs.once("POST", CREATE_ROOM, { hangUp: true });
    const client = clientFor(hs);

    assert.deepEqual(await client.request("GET", "/x"), { ok: true });
    const err = await client.request("POST", CREATE_ROOM, { body: {} }).catch((e: unknown) => e);
    assert.ok(err instanceof MatrixConnectionError);
    assert.equal(hs.requestsTo("POST", CREATE_ROOM).length, 1);
  });

  it("retries an idempotent request that timed out", async () => {
    hs.once("GET", "/slow", { delayMs: 500, json: { late: true } });
    hs.once("GET", "/slow", { json: { ok: true } });
    const res = await clientFor(hs).request("GET", "/slow", { timeoutMs: 100 });
    assert.deepEqual(res, { ok: true });
    assert.equal(hs.requests.length, 2);
  });
});

describe("MatrixClient logging", () => {
  it("never writes the access token, even while retrying", async () => {
    const { logger, lines } = captureLogs();
    hs.once("PUT", SEND_PATH, { status: 500, json: { errcode: "M_UNKNOWN", error: `echo ${AS_TOKEN}` } });
    hs.once("PUT", SEND_PATH, { status: 429, json: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 1 } });
    hs.once("PUT", SEND_PATH, { hangUp: true });
    hs.once("PUT", SEND_PATH, { json: { event_id: "$ev" } });
    const client = clientFor(hs, { logger });

    await client.request("PUT", SEND_PATH, { body: {}, asUser: ALICE });
    // Whatever else logs through this logger family is scrubbed too, because the client registered the secret.
    logger.error("something went wrong", { detail: `Bearer ${AS_TOKEN}` });

    assert.ok(lines.length >= 4, "the retries were logged");
    for (const line of lines) assert.ok(!line.includes(AS_TOKEN), line);
  });
});
