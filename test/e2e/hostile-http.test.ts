// The application service API under hostile HTTP, against the real bridge (with a real Synapse behind it): wrong
// methods, unknown paths, missing and wrong tokens, odd transaction ids, malformed requests on a bare socket and
// uploads cut off halfway. Every request must get its answer: a Matrix error body whenever it is refused, never a
// 500, never silence.

// The generated cases come from fast-check with a fixed number of runs; HOSTILE_SEED=<n> replays one run's choices.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { plainText } from "bridge-core";
import fc from "fast-check";
import { useHostileStack } from "../harness/hostile/hostile-stack.ts";
import { cutOffUpload, type Outgoing } from "../harness/hostile/raw-http.ts";
import { runs, TXN } from "../harness/hostile/requests.ts";

describe("the application service API under hostile HTTP", () => {
  const h = useHostileStack("hostile-http");

  test("wrong methods get 405, unknown paths 404, missing or wrong tokens 401 and 403", async () => {
    const routes: [string, string][] = [
      [`${TXN}method-check`, "PUT"],
      ["/transactions/method-check", "PUT"],
      [`/_matrix/app/v1/users/${encodeURIComponent("@testnet_x:example.org")}`, "GET"],
      [`/_matrix/app/v1/rooms/${encodeURIComponent("#testnet_x:example.org")}`, "GET"],
      ["/_matrix/app/v1/ping", "POST"],
      ["/_matrix/app/v1/thirdparty/protocol/testnet", "GET"],
      ["/_matrix/app/v1/thirdparty/location", "GET"],
    ];
    const methods = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"];
    const wrong = fc
      .tuple(fc.constantFrom(...routes), fc.constantFrom(...methods))
      // Express answers HEAD with the GET handler, so HEAD is a wrong method only where GET is one too.
      .filter(([[, allowed], method]) => method !== allowed && !(method === "HEAD" && allowed === "GET"));
    await fc.assert(
      fc.asyncProperty(wrong, async ([[path], method]) => {
        await h.expectAnswer(
          "wrong method",
          { method, path },
          405,
          method === "HEAD" ? undefined : "M_UNRECOGNIZED",
        );
      }),
      runs(25),
    );
    for (const path of [
      "/_matrix/app/v1/transactions",
      `${TXN}a/b`,
      `${TXN}../ping`,
      "/_matrix/app/v2/transactions/x",
      "/_matrix/app/unstable/ping",
      "/_matrix/client/v3/sync",
    ]) {
      await h.expectAnswer(
        "unknown path",
        { method: "PUT", path, body: '{"events":[]}' },
        404,
        "M_UNRECOGNIZED",
      );
    }
    const auth: [Outgoing, number, string][] = [
      [{ method: "PUT", path: h.nextTxn(), body: '{"events":[]}', token: null }, 401, "M_UNAUTHORIZED"],
      [{ method: "PUT", path: h.nextTxn(), body: '{"events":[]}', token: "" }, 401, "M_UNAUTHORIZED"],
      [
        { method: "PUT", path: h.nextTxn(), body: '{"events":[]}', token: "x".repeat(8000) },
        403,
        "M_FORBIDDEN",
      ],
      [
        {
          method: "PUT",
          path: h.nextTxn(),
          body: '{"events":[]}',
          token: null,
          headers: { authorization: "Basic Zm9vOmJhcg==" },
        },
        401,
        "M_UNAUTHORIZED",
      ],
      [
        { method: "PUT", path: `${h.nextTxn()}?access_token=a&access_token=b`, body: "{}", token: null },
        401,
        "M_UNAUTHORIZED",
      ],
      // Refused before the body is read: a caller without the token cannot make the bridge buffer it.
      [
        { method: "PUT", path: h.nextTxn(), body: "x".repeat(1024 * 1024), token: "wrong" },
        403,
        "M_FORBIDDEN",
      ],
    ];
    for (const [out, status, errcode] of auth) await h.expectAnswer("auth", out, status, errcode);
  });

  test("odd transaction ids are taken as opaque strings; undecodable ones are refused", async () => {
    const id = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((v) => v.isWellFormed()),
      fc.constantFrom(
        ".",
        "..",
        "...",
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "/",
        "%",
        "a/../b",
        "\0",
        " ",
      ),
      fc.integer({ min: 1000, max: 8000 }).map((n) => "t".repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(id, async (raw) => {
        // The same id twice: the second is a replay and its event must not be h.bridged again.
        const body = `txn id #${h.nextEventNumber}`;
        const text = JSON.stringify({ events: [h.validMessage(body)] });
        const path = `${h.nextTxn()}-${encodeURIComponent(raw)}`;
        await h.expectAnswer("odd txnId", { method: "PUT", path, body: text }, 200);
        await h.expectAnswer("odd txnId", { method: "PUT", path, body: text }, 200);
        await h.bridged(body);
        await h.stack.bridge.queue.idle();
        assert.equal(
          h.stack.world.received.filter((m) => plainText(m.text) === body).length,
          1,
          path.slice(0, 80),
        );
      }),
      runs(20),
    );
    const accepted = [
      "..",
      ".",
      "%2e%2e",
      "%2E%2E%2F",
      "a%2Fb",
      "%2F",
      "%00",
      "%25",
      "%C3%A9%E2%9C%93",
      "~!$&'()*+,;=:@",
    ];
    for (const raw of accepted) {
      await h.expectAnswer("odd txnId", { method: "PUT", path: `${TXN}${raw}`, body: '{"events":[]}' }, 200);
    }
    for (const raw of ["%", "%ZZ", "%E0%A4%A", "%C3", "%ED%A0%80", "a%"]) {
      await h.expectAnswer(
        "odd txnId",
        { method: "PUT", path: `${TXN}${raw}`, body: '{"events":[]}' },
        400,
        "M_INVALID_PARAM",
      );
    }
    // Longer than the HTTP parser takes for a request line and its headers.
    await h.expectAnswer(
      "odd txnId",
      { method: "PUT", path: `${TXN}${"t".repeat(20_000)}`, body: "{}" },
      431,
      "M_TOO_LARGE",
    );
  });

  test("malformed HTTP gets a Matrix error and the connection closed; cut-off uploads leave no trace", async () => {
    const token = h.stack.registration.hs_token;
    const valid = '{"events":[]}';
    const head = (path: string, extra: string) =>
      `PUT ${path} HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;
    const exchanges: [string, Buffer | string, number[]][] = [
      ["garbage", "GARBAGE\r\n\r\n", [400]],
      ["unknown method", `FROB ${TXN}x HTTP/1.1\r\nHost: bridge\r\n\r\n`, [400]],
      [
        "raw UTF-8 in the request line",
        Buffer.concat([
          Buffer.from(`PUT ${TXN}`),
          Buffer.from("é✓"),
          Buffer.from(" HTTP/1.1\r\nHost: b\r\n\r\n"),
        ]),
        [400],
      ],
      ["headers too large", head(h.nextTxn(), `X-Big: ${"b".repeat(20_000)}\r\n`), [431]],
      ["bad chunk", `${head(h.nextTxn(), "Transfer-Encoding: chunked\r\n")}ZZ\r\n`, [400]],
      ["two lengths", `${head(h.nextTxn(), "Content-Length: 3\r\nContent-Length: 4\r\n")}abcd`, [400]],
      // A body longer than announced: the announced part is answered, what follows is refused.
      ["body past its length", `${head(h.nextTxn(), "Content-Length: 5\r\n")}${valid}`, [400, 400]],
      [
        "request after a body",
        `${head(h.nextTxn(), `Content-Length: ${valid.length}\r\n`)}${valid}NOT HTTP\r\n\r\n`,
        [200, 400],
      ],
    ];
    for (const [kind, data, statuses] of exchanges) {
      const responses = await h.rawExchange("raw HTTP", data);
      assert.deepEqual(
        responses.map((r) => r.status),
        statuses,
        kind,
      );
      for (const response of responses.filter((r) => r.status >= 400)) {
        assert.match(
          String((response.json as { errcode?: unknown } | undefined)?.errcode),
          /^M_[A-Z_]+$/,
          kind,
        );
      }
    }
    // Uploads cut off halfway: nobody is left to answer, and the bridge must simply carry on.
    for (let i = 0; i < 5; i++) {
      await cutOffUpload(
        h.stack.files.bridgePort,
        `${head(h.nextTxn(), "Content-Length: 1000\r\n")}{"events":[`,
      );
      h.tally("cut-off upload", "no answer");
    }
  });
});
