import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  type AppserviceHandlers,
  createAppserviceApp,
  listen,
  type ThirdPartyFields,
} from "../../src/appservice/server.ts";
import type { ParsedTransaction } from "../../src/appservice/transaction-body.ts";
import type { RoomAlias, TransactionId, UserId } from "../../src/ids.ts";
import { type CapturedLogs, captureLogs } from "../matrix/helpers.ts";

const HS_TOKEN = "hs-token-0123456789abcdef";
const MAX_BODY_BYTES = 64 * 1024;

/** Records every call and answers with whatever the test put in its fields. */
class RecordingHandlers implements AppserviceHandlers {
  readonly transactions: { txnId: TransactionId; parsed: ParsedTransaction }[] = [];
  readonly userQueries: UserId[] = [];
  readonly aliasQueries: RoomAlias[] = [];
  readonly pings: (string | undefined)[] = [];
  readonly thirdPartyCalls: unknown[][] = [];

  onTransaction: () => Promise<void> = async () => {};
  userExists = true;
  aliasExists = true;
  protocolResult: unknown | null = { user_fields: ["nick"], location_fields: ["channel"] };
  listResult: unknown[] = [{ protocol: "irc" }];

  transaction(txnId: TransactionId, parsed: ParsedTransaction): Promise<void> {
    this.transactions.push({ txnId, parsed });
    return this.onTransaction();
  }
  async queryUser(userId: UserId): Promise<boolean> {
    this.userQueries.push(userId);
    return this.userExists;
  }
  async queryAlias(alias: RoomAlias): Promise<boolean> {
    this.aliasQueries.push(alias);
    return this.aliasExists;
  }
  ping(transactionId: string | undefined): void {
    this.pings.push(transactionId);
  }
  async thirdPartyProtocol(protocol: string): Promise<unknown | null> {
    this.thirdPartyCalls.push(["protocol", protocol]);
    return this.protocolResult;
  }
  async thirdPartyLocations(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    this.thirdPartyCalls.push(["locations", protocol, fields]);
    return this.listResult;
  }
  async thirdPartyUsers(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    this.thirdPartyCalls.push(["users", protocol, fields]);
    return this.listResult;
  }
  async thirdPartyLocationsByAlias(alias: RoomAlias): Promise<unknown[]> {
    this.thirdPartyCalls.push(["locationsByAlias", alias]);
    return this.listResult;
  }
  async thirdPartyUsersById(userId: UserId): Promise<unknown[]> {
    this.thirdPartyCalls.push(["usersById", userId]);
    return this.listResult;
  }
}

interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer …`; null sends no header. */
  token?: string | null;
  /** A JSON value, or a string sent exactly as given. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

let server: Server;
let baseUrl: string;
let handlers: RecordingHandlers;
let logs: CapturedLogs;

beforeEach(async () => {
  handlers = new RecordingHandlers();
  logs = captureLogs();
  const app = createAppserviceApp({
    hsToken: HS_TOKEN,
    maxBodyBytes: MAX_BODY_BYTES,
    logger: logs.logger,
    handlers,
  });
  server = await listen(app, "127.0.0.1", 0);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function call(path: string, options: CallOptions = {}): Promise<Answer> {
  const { method = "GET", token = HS_TOKEN, body, headers = {} } = options;
  const init: RequestInit = { method, headers: { ...headers } };
  const sent = init.headers as Record<string, string>;
  if (token !== null) sent["authorization"] = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    sent["content-type"] ??= "application/json";
  }
  const res = await fetch(baseUrl + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const put = (path: string, body: unknown, options: CallOptions = {}) =>
  call(path, { ...options, method: "PUT", body });

function assertError(answer: Answer, status: number, errcode: string): void {
  assert.equal(answer.status, status, answer.text);
  const json = answer.json as { errcode?: unknown; error?: unknown };
  assert.equal(json.errcode, errcode);
  assert.equal(typeof json.error, "string");
}

const message = (body: string, extra: Record<string, unknown> = {}) => ({
  type: "m.room.message",
  room_id: "!room:example.org",
  sender: "@alice:example.org",
  event_id: `$${body}`,
  content: { msgtype: "m.text", body },
  ...extra,
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("transactions", () => {
  for (const path of ["/_matrix/app/v1/transactions/txn1", "/transactions/txn1"]) {
    it(`PUT ${path} answers 200 {} only once the handler has resolved`, async () => {
      const gate = deferred();
      const called = deferred();
      handlers.onTransaction = () => {
        called.resolve();
        return gate.promise;
      };

      let settled = false;
      const pending = put(path, { events: [message("hello")] }).finally(() => {
        settled = true;
      });
      await called.promise;
      await tick(100);
      assert.equal(settled, false, "the homeserver must not get its 200 before the events are accepted");

      gate.resolve();
      const answer = await pending;
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, {});
      assert.equal(handlers.transactions.length, 1);
      const [txn] = handlers.transactions;
      assert.equal(txn?.txnId, "txn1");
      assert.deepEqual(txn?.parsed, { items: [{ kind: "timeline", event: message("hello") }], dropped: 0 });
    });
  }

  it("passes a percent-encoded transaction id decoded", async () => {
    const answer = await put("/_matrix/app/v1/transactions/a%2Fb%20c", { events: [] });
    assert.equal(answer.status, 200);
    assert.equal(handlers.transactions[0]?.txnId, "a/b c");
  });

  it("drops malformed entries in `events`, passes the valid ones on and logs how many were dropped", async () => {
    const body = {
      events: [
        message("one"),
        42,
        null,
        "text",
        [message("nested")],
        { content: {} },
        { type: 7 },
        message("two"),
      ],
      ephemeral: [{ type: "m.typing", room_id: "!room:example.org", content: { user_ids: [] } }, false],
      "de.sorunome.msc2409.ephemeral": [{ type: "m.receipt", content: {} }],
      to_device: [{ type: "m.room_key_request", content: {} }],
      "de.sorunome.msc2409.to_device": [{ type: "m.dummy", content: {} }, {}],
    };
    const answer = await put("/_matrix/app/v1/transactions/t2", body);
    assert.equal(answer.status, 200);
    assert.deepEqual(handlers.transactions[0]?.parsed, {
      items: [
        { kind: "timeline", event: message("one") },
        { kind: "timeline", event: message("two") },
        { kind: "ephemeral", event: body.ephemeral[0] },
        { kind: "ephemeral", event: body["de.sorunome.msc2409.ephemeral"][0] },
        { kind: "to_device", event: body.to_device[0] },
        { kind: "to_device", event: body["de.sorunome.msc2409.to_device"][0] },
      ],
      dropped: 8,
    });
    const warning = logs.lines.map((line) => JSON.parse(line)).find((r) => r.level === "warn");
    assert.equal(warning?.dropped, 8);
    assert.equal(warning?.txnId, "t2");
  });

  it("refuses a body whose `events` is missing or not an array with 400 M_BAD_JSON", async () => {
    for (const body of [
      {},
      { events: {} },
      { events: "[]" },
      { events: null },
      [],
      '"a string"',
      5,
      "null",
    ]) {
      assertError(await put("/_matrix/app/v1/transactions/bad", body), 400, "M_BAD_JSON");
    }
    assertError(
      await put("/_matrix/app/v1/transactions/bad", { events: [], ephemeral: {} }),
      400,
      "M_BAD_JSON",
    );
    assert.equal(handlers.transactions.length, 0);
  });

  it("refuses a body that is not JSON with 400 M_NOT_JSON", async () => {
    assertError(await put("/_matrix/app/v1/transactions/t", '{"events": ['), 400, "M_NOT_JSON");
    assertError(
      await put("/_matrix/app/v1/transactions/t", "not json", { headers: { "content-type": "text/plain" } }),
      400,
      "M_NOT_JSON",
    );
    assert.equal(handlers.transactions.length, 0);
  });

  it("refuses a body over maxBodyBytes with 413 M_TOO_LARGE", async () => {
    const big = { events: [message("x".repeat(MAX_BODY_BYTES))] };
    assertError(await put("/_matrix/app/v1/transactions/big", big), 413, "M_TOO_LARGE");
    assert.equal(handlers.transactions.length, 0);
  });

  it("refuses an over-long body sent without a Content-Length while reading it", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${baseUrl}/_matrix/app/v1/transactions/stream`, {
      method: "PUT",
      headers: { authorization: `Bearer ${HS_TOKEN}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    assertError({ status: res.status, json: await res.json(), text: "" }, 413, "M_TOO_LARGE");
  });

  it("answers 500 M_UNKNOWN when the handler fails, without the error's text", async () => {
    handlers.onTransaction = async () => {
      throw new Error("disk full at /var/lib/secret-path");
    };
    const answer = await put("/_matrix/app/v1/transactions/t", { events: [message("hi")] });
    assertError(answer, 500, "M_UNKNOWN");
    assert.doesNotMatch(answer.text, /disk full|secret-path/);
    assert.ok(logs.lines.some((line) => line.includes('"level":"error"') && line.includes("disk full")));
  });
});

describe("authentication", () => {
  const path = "/_matrix/app/v1/transactions/auth";

  it("accepts the token from the legacy access_token query parameter", async () => {
    const answer = await put(`${path}?access_token=${HS_TOKEN}`, { events: [] }, { token: null });
    assert.equal(answer.status, 200);
    assert.equal(handlers.transactions.length, 1);
  });

  it("reads the Authorization scheme case-insensitively", async () => {
    const answer = await call("/_matrix/app/v1/users/%40a%3Aexample.org", {
      token: null,
      headers: { authorization: `bearer ${HS_TOKEN}` },
    });
    assert.equal(answer.status, 200);
  });

  it("answers 401 M_UNAUTHORIZED without a token", async () => {
    assertError(await put(path, { events: [] }, { token: null }), 401, "M_UNAUTHORIZED");
    assertError(await put(`${path}?access_token=`, { events: [] }, { token: null }), 401, "M_UNAUTHORIZED");
    assertError(
      await put(path, { events: [] }, { token: null, headers: { authorization: `Basic ${HS_TOKEN}` } }),
      401,
      "M_UNAUTHORIZED",
    );
    assertError(await call("/users/%40a%3Aexample.org", { token: null }), 401, "M_UNAUTHORIZED");
    assertError(await call("/_matrix/app/v1/nothing-here", { token: null }), 401, "M_UNAUTHORIZED");
    assert.equal(handlers.transactions.length, 0);
    assert.equal(handlers.userQueries.length, 0);
  });

  it("answers 403 M_FORBIDDEN for a wrong token, in the header or the query", async () => {
    assertError(await put(path, { events: [] }, { token: "wrong" }), 403, "M_FORBIDDEN");
    assertError(await put(`${path}?access_token=wrong`, { events: [] }, { token: null }), 403, "M_FORBIDDEN");
    assertError(await put(path, { events: [] }, { token: `${HS_TOKEN}x` }), 403, "M_FORBIDDEN");
    assertError(await call("/rooms/%23a%3Aexample.org", { token: "wrong" }), 403, "M_FORBIDDEN");
    assert.equal(handlers.transactions.length, 0);
    assert.equal(handlers.aliasQueries.length, 0);
  });

  it("prefers the Authorization header over the query parameter", async () => {
    const answer = await put(`${path}?access_token=${HS_TOKEN}`, { events: [] }, { token: "wrong" });
    assertError(answer, 403, "M_FORBIDDEN");
  });

  it("checks the token before reading the body: a huge body gets 401/403, not 413", async () => {
    const huge = `{"events": [${JSON.stringify(message("x".repeat(MAX_BODY_BYTES * 16)))}]}`;
    assertError(await put(path, huge, { token: "wrong" }), 403, "M_FORBIDDEN");
    assertError(await put(path, huge, { token: null }), 401, "M_UNAUTHORIZED");
    assertError(await put(path, "{not json", { token: "wrong" }), 403, "M_FORBIDDEN");
    // The same body with the right token is refused for its size, so the answers above came from the token check.
    assertError(await put(path, huge), 413, "M_TOO_LARGE");
  });
});

describe("routing", () => {
  it("answers 404 M_UNRECOGNIZED for an unknown route under /_matrix/app/v1/", async () => {
    assertError(await call("/_matrix/app/v1/unknown"), 404, "M_UNRECOGNIZED");
    assertError(await call("/_matrix/app/v1/transactions"), 404, "M_UNRECOGNIZED");
    assertError(
      await call("/_matrix/app/v1/transactions/a/b", { method: "PUT", body: {} }),
      404,
      "M_UNRECOGNIZED",
    );
    assertError(
      await call("/_matrix/app/v2/transactions/a", { method: "PUT", body: {} }),
      404,
      "M_UNRECOGNIZED",
    );
  });

  it("answers 405 M_UNRECOGNIZED for a wrong method on a known route", async () => {
    assertError(await call("/_matrix/app/v1/transactions/t"), 405, "M_UNRECOGNIZED");
    assertError(
      await call("/transactions/t", { method: "POST", body: { events: [] } }),
      405,
      "M_UNRECOGNIZED",
    );
    assertError(
      await call("/_matrix/app/v1/users/%40a%3Aexample.org", { method: "PUT", body: {} }),
      405,
      "M_UNRECOGNIZED",
    );
    assertError(await call("/_matrix/app/v1/ping"), 405, "M_UNRECOGNIZED");
    assertError(
      await call("/_matrix/app/v1/thirdparty/protocol/irc", { method: "DELETE" }),
      405,
      "M_UNRECOGNIZED",
    );
    assert.equal(handlers.transactions.length, 0);
    assert.equal(handlers.userQueries.length, 0);
    assert.equal(handlers.pings.length, 0);
  });
});

describe("user and alias queries", () => {
  for (const prefix of ["/_matrix/app/v1", ""]) {
    it(`GET ${prefix}/users/{userId} is 200 when the bridge has the user and 404 M_NOT_FOUND when not`, async () => {
      const answer = await call(`${prefix}/users/%40irc_alice%3Aexample.org`);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, {});
      assert.deepEqual(handlers.userQueries, ["@irc_alice:example.org"]);

      handlers.userExists = false;
      assertError(await call(`${prefix}/users/%40irc_bob%3Aexample.org`), 404, "M_NOT_FOUND");
    });

    it(`GET ${prefix}/rooms/{alias} is 200 when the bridge has the alias and 404 M_NOT_FOUND when not`, async () => {
      const answer = await call(`${prefix}/rooms/%23irc_%23chan%3Aexample.org`);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, {});
      assert.deepEqual(handlers.aliasQueries, ["#irc_#chan:example.org"]);

      handlers.aliasExists = false;
      assertError(await call(`${prefix}/rooms/%23irc_%23gone%3Aexample.org`), 404, "M_NOT_FOUND");
    });
  }

  it("answers 400 for a malformed user id or alias without asking the bridge", async () => {
    for (const id of [
      "alice",
      "%40alice",
      "%40alice%3A",
      "%23room%3Aexample.org",
      "%40a%20b%3Aexample.org",
    ]) {
      const answer = await call(`/_matrix/app/v1/users/${id}`);
      assert.equal(answer.status, 400, id);
    }
    for (const alias of ["room", "%23room", "%40room%3Aexample.org", "%23a%20b%3Aexample.org"]) {
      const answer = await call(`/_matrix/app/v1/rooms/${alias}`);
      assert.equal(answer.status, 400, alias);
    }
    assert.equal(handlers.userQueries.length, 0);
    assert.equal(handlers.aliasQueries.length, 0);
  });

  it("answers 500 M_UNKNOWN without the error's text when the query fails", async () => {
    handlers.queryUser = async () => {
      throw new Error("remote network exploded");
    };
    const answer = await call("/_matrix/app/v1/users/%40irc_alice%3Aexample.org");
    assertError(answer, 500, "M_UNKNOWN");
    assert.doesNotMatch(answer.text, /exploded/);
  });
});

describe("ping", () => {
  it("passes transaction_id to the handler and answers 200 {}", async () => {
    const answer = await call("/_matrix/app/v1/ping", {
      method: "POST",
      body: { transaction_id: "mautrix.1" },
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, {});
    assert.deepEqual(handlers.pings, ["mautrix.1"]);
  });

  it("passes undefined when the body has no string transaction_id", async () => {
    await call("/_matrix/app/v1/ping", { method: "POST", body: {} });
    await call("/_matrix/app/v1/ping", { method: "POST", body: { transaction_id: 12 } });
    const answer = await call("/_matrix/app/v1/ping", { method: "POST" });
    assert.equal(answer.status, 200);
    assert.deepEqual(handlers.pings, [undefined, undefined, undefined]);
  });

  it("requires the token", async () => {
    const answer = await call("/_matrix/app/v1/ping", { method: "POST", body: {}, token: null });
    assertError(answer, 401, "M_UNAUTHORIZED");
    assert.equal(handlers.pings.length, 0);
  });
});

describe("third-party lookups", () => {
  it("returns the protocol description, or 404 M_NOT_FOUND when the handler has none", async () => {
    const answer = await call("/_matrix/app/v1/thirdparty/protocol/irc");
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json, handlers.protocolResult);
    handlers.protocolResult = null;
    assertError(await call("/_matrix/app/v1/thirdparty/protocol/xmpp"), 404, "M_NOT_FOUND");
    assert.deepEqual(handlers.thirdPartyCalls, [
      ["protocol", "irc"],
      ["protocol", "xmpp"],
    ]);
  });

  it("passes the query fields, minus access_token, to location and user searches", async () => {
    const locations = await call("/_matrix/app/v1/thirdparty/location/irc?channel=%23chan&network=libera");
    assert.equal(locations.status, 200);
    assert.deepEqual(locations.json, handlers.listResult);
    const users = await call(`/_matrix/app/v1/thirdparty/user/irc?nick=bob&access_token=${HS_TOKEN}`, {
      token: null,
    });
    assert.equal(users.status, 200);
    assert.deepEqual(handlers.thirdPartyCalls, [
      ["locations", "irc", { channel: "#chan", network: "libera" }],
      ["users", "irc", { nick: "bob" }],
    ]);
  });

  it("answers 404 M_NOT_FOUND when a search finds nothing", async () => {
    handlers.listResult = [];
    assertError(await call("/_matrix/app/v1/thirdparty/location/irc?channel=%23x"), 404, "M_NOT_FOUND");
    assertError(await call("/_matrix/app/v1/thirdparty/user/irc?nick=x"), 404, "M_NOT_FOUND");
    assertError(
      await call("/_matrix/app/v1/thirdparty/location?alias=%23irc_x%3Aexample.org"),
      404,
      "M_NOT_FOUND",
    );
    assertError(
      await call("/_matrix/app/v1/thirdparty/user?userid=%40irc_x%3Aexample.org"),
      404,
      "M_NOT_FOUND",
    );
  });

  it("looks locations up by the `alias` query and users by the `userid` query", async () => {
    const byAlias = await call("/_matrix/app/v1/thirdparty/location?alias=%23irc_%23chan%3Aexample.org");
    assert.equal(byAlias.status, 200);
    assert.deepEqual(byAlias.json, handlers.listResult);
    const byId = await call("/_matrix/app/v1/thirdparty/user?userid=%40irc_bob%3Aexample.org");
    assert.equal(byId.status, 200);
    assert.deepEqual(handlers.thirdPartyCalls, [
      ["locationsByAlias", "#irc_#chan:example.org"],
      ["usersById", "@irc_bob:example.org"],
    ]);
  });

  it("answers 400 when the reverse lookup's query is missing or malformed", async () => {
    assert.equal((await call("/_matrix/app/v1/thirdparty/location")).status, 400);
    assert.equal((await call("/_matrix/app/v1/thirdparty/location?alias=chan")).status, 400);
    assert.equal((await call("/_matrix/app/v1/thirdparty/user")).status, 400);
    assert.equal((await call("/_matrix/app/v1/thirdparty/user?userid=bob")).status, 400);
    assert.equal(handlers.thirdPartyCalls.length, 0);
  });

  it("answers 500 M_UNKNOWN without the error's text when a lookup fails", async () => {
    handlers.thirdPartyUsers = async () => {
      throw new TypeError("cannot read property nick of undefined");
    };
    const answer = await call("/_matrix/app/v1/thirdparty/user/irc?nick=x");
    assertError(answer, 500, "M_UNKNOWN");
    assert.doesNotMatch(answer.text, /property nick/);
  });
});
