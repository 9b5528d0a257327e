import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertError,
  baseUrl,
  call,
  deferred,
  HS_TOKEN,
  handlers,
  logs,
  MAX_BODY_BYTES,
  message,
  put,
  tick,
} from "./server-harness.ts";

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
