// The start-up check against a stand-in homeserver: a homeserver with the ping endpoint that fails it stops the
// bridge with a clear message; one without the endpoint (before Matrix v1.7, e.g. Dendrite 0.13) gets a warning and a
// whoami as the bot instead, which still stops the bridge when the homeserver does not accept the as_token.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { HomeserverPingError, pingHomeserver } from "../../src/bridge/homeserver-ping.ts";
import { generateRegistration } from "../../src/registration/registration.ts";
import { FakeHomeserver } from "../matrix/fake-homeserver.ts";
import { AS_TOKEN, BOT, captureLogs, clientFor } from "../matrix/helpers.ts";

const PING = "/_matrix/client/v1/appservice/testnet/ping";
const WHOAMI = "/_matrix/client/v3/account/whoami";
const UNRECOGNIZED = { status: 404, json: { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" } };

const registration = generateRegistration({
  id: "testnet",
  url: "http://127.0.0.1:29300",
  senderLocalpart: "bridgebot",
  domain: "example.org",
  ghostTemplates: ["testnet_{id}"],
  aliasTemplates: ["testnet_{id}"],
  protocols: [],
});

let hs: FakeHomeserver;
beforeEach(async () => {
  hs = await FakeHomeserver.start();
});
afterEach(() => hs.close());

function ping() {
  const logs = captureLogs();
  const result = pingHomeserver({
    client: clientFor(hs, { logger: logs.logger }),
    registration,
    transactionId: "ping-1",
    botUserId: BOT,
    logger: logs.logger,
  });
  return { result, logs };
}

describe("pingHomeserver", () => {
  it("returns how long the homeserver's ping of the bridge took, without asking whoami", async () => {
    hs.always("POST", PING, { json: { duration_ms: 12 } });
    const { result } = ping();
    assert.deepEqual(await result, { pinged: true, durationMs: 12 });
    assert.deepEqual(hs.requests[0]?.json, { transaction_id: "ping-1" });
    assert.equal(hs.requestsTo("GET", WHOAMI).length, 0);
  });

  it("stops start-up with today's message when a homeserver with the endpoint cannot reach the bridge", async () => {
    hs.always("POST", PING, {
      status: 502,
      json: { errcode: "M_CONNECTION_FAILED", error: "connection refused" },
    });
    const { result } = ping();
    const err = await result.catch((e: unknown) => e);
    assert.ok(err instanceof HomeserverPingError);
    assert.match(
      err.message,
      /^Homeserver ping failed: the homeserver could not connect to the bridge at http:\/\/127\.0\.0\.1:29300 \(connection refused\)/,
    );
    assert.equal(
      hs.requestsTo("GET", WHOAMI).length,
      0,
      "no fallback for a homeserver that has the endpoint",
    );
  });

  it("stops start-up when a homeserver with the endpoint refuses the as_token", async () => {
    hs.always("POST", PING, { status: 403, json: { errcode: "M_FORBIDDEN", error: "not an appservice" } });
    const err = await ping().result.catch((e: unknown) => e);
    assert.ok(err instanceof HomeserverPingError);
    assert.match(err.message, /did not accept the bridge's as_token for "testnet"/);
    assert.equal(hs.requestsTo("GET", WHOAMI).length, 0);
  });

  it("falls back to whoami as the bot, with a warning, on a homeserver without the endpoint", async () => {
    hs.always("POST", PING, UNRECOGNIZED);
    hs.always("GET", WHOAMI, { json: { user_id: BOT } });
    const { result, logs } = ping();
    assert.deepEqual(await result, { pinged: false });
    const [whoami] = hs.requestsTo("GET", WHOAMI);
    assert.equal(whoami?.query.get("user_id"), BOT);
    assert.equal(whoami?.headers.authorization, `Bearer ${AS_TOKEN}`);
    const warning = logs.lines.find((line) => line.includes("no application service ping endpoint"));
    assert.ok(warning, logs.lines.join("\n"));
    assert.equal((JSON.parse(warning) as { level: string }).level, "warn");
  });

  it("also takes a 405 M_UNRECOGNIZED for a missing endpoint", async () => {
    hs.always("POST", PING, {
      status: 405,
      json: { errcode: "M_UNRECOGNIZED", error: "method not allowed" },
    });
    hs.always("GET", WHOAMI, { json: { user_id: BOT } });
    assert.deepEqual(await ping().result, { pinged: false });
  });

  it("stops start-up when the fallback's whoami is refused", async () => {
    hs.always("POST", PING, UNRECOGNIZED);
    hs.always("GET", WHOAMI, { status: 401, json: { errcode: "M_UNKNOWN_TOKEN", error: "Unknown token" } });
    const err = await ping().result.catch((e: unknown) => e);
    assert.ok(err instanceof HomeserverPingError);
    assert.match(
      err.message,
      /^Homeserver check failed: the homeserver has no ping endpoint, and it answered 401 M_UNKNOWN_TOKEN \(Unknown token\) to whoami as @bridgebot:example\.org/,
    );
  });

  it("stops start-up when whoami names someone other than the bot", async () => {
    hs.always("POST", PING, UNRECOGNIZED);
    hs.always("GET", WHOAMI, { json: { user_id: "@someone:example.org" } });
    const err = await ping().result.catch((e: unknown) => e);
    assert.ok(err instanceof HomeserverPingError);
    assert.match(err.message, /answered @someone:example\.org, not the bot @bridgebot:example\.org/);
  });

  it("without the bot's user id, takes whoami as the as_token's own user and checks its localpart", async () => {
    hs.always("POST", PING, UNRECOGNIZED);
    hs.always("GET", WHOAMI, { json: { user_id: "@bridgebot:example.org" } });
    const client = clientFor(hs);
    const outcome = await pingHomeserver({ client, registration, transactionId: "ping-2" });
    assert.deepEqual(outcome, { pinged: false });
    assert.equal(hs.requestsTo("GET", WHOAMI)[0]?.query.has("user_id"), false);
  });

  it("does not take a bare 404 (a proxy, a wrong homeserver.url) for a missing endpoint", async () => {
    hs.always("POST", PING, { status: 404, raw: Buffer.from("<html>not found</html>") });
    const err = await ping().result.catch((e: unknown) => e);
    assert.ok(err instanceof HomeserverPingError);
    assert.match(err.message, /^Homeserver ping failed: the homeserver answered 404/);
    assert.equal(hs.requestsTo("GET", WHOAMI).length, 0);
  });
});
