import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertError, call, HS_TOKEN, handlers } from "./server-harness.ts";

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

describe("ids with a slash", () => {
  it("finds user ids and aliases whose slash the homeserver left unescaped", async () => {
    assert.equal((await call("/_matrix/app/v1/users/%40irc_a/b%3Aexample.org")).status, 200);
    assert.equal((await call("/_matrix/app/v1/rooms/%23irc_libera/%23chan%3Aexample.org")).status, 200);
    assert.deepEqual(handlers.userQueries, ["@irc_a/b:example.org"]);
    assert.deepEqual(handlers.aliasQueries, ["#irc_libera/#chan:example.org"]);
  });
});
