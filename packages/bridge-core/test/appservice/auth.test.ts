import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Request } from "express";
import { checkHomeserverToken, tokenFromRequest, tokenMatches } from "../../src/appservice/auth.ts";
import { MatrixApiError } from "../../src/appservice/errors.ts";

const request = (headers: Record<string, string>, query: Record<string, unknown> = {}): Request =>
  ({ headers, query }) as unknown as Request;

describe("tokenMatches", () => {
  it("accepts exactly the expected token", () => {
    assert.equal(tokenMatches("s3cret-token", "s3cret-token"), true);
  });

  it("refuses any other token, of the same length or not, without throwing", () => {
    assert.equal(tokenMatches("s3cret-tokeN", "s3cret-token"), false);
    assert.equal(tokenMatches("s3cret", "s3cret-token"), false);
    assert.equal(tokenMatches("s3cret-token-and-more", "s3cret-token"), false);
    assert.equal(tokenMatches("", "s3cret-token"), false);
    assert.equal(tokenMatches(" s3cret-token", "s3cret-token"), false);
  });

  it("compares the whole string, including non-ASCII", () => {
    assert.equal(tokenMatches("tökén", "tökén"), true);
    assert.equal(tokenMatches("token", "tökén"), false);
  });
});

describe("tokenFromRequest", () => {
  it("reads a Bearer header, whatever the scheme's case and surrounding spaces", () => {
    assert.equal(tokenFromRequest(request({ authorization: "Bearer abc" })), "abc");
    assert.equal(tokenFromRequest(request({ authorization: "bearer   abc  " })), "abc");
  });

  it("falls back to the legacy access_token query parameter only without a header", () => {
    assert.equal(tokenFromRequest(request({}, { access_token: "q" })), "q");
    assert.equal(tokenFromRequest(request({ authorization: "Bearer h" }, { access_token: "q" })), "h");
    assert.equal(tokenFromRequest(request({ authorization: "Basic h" }, { access_token: "q" })), undefined);
  });

  it("finds nothing in other schemes, a bare scheme or a repeated query parameter", () => {
    assert.equal(tokenFromRequest(request({ authorization: "Basic abc" })), undefined);
    assert.equal(tokenFromRequest(request({ authorization: "Bearer" })), undefined);
    assert.equal(tokenFromRequest(request({ authorization: "Bearer a b" })), undefined);
    assert.equal(tokenFromRequest(request({}, { access_token: ["a", "b"] })), undefined);
    assert.equal(tokenFromRequest(request({})), undefined);
  });
});

describe("checkHomeserverToken", () => {
  const refusal = (req: Request) => {
    try {
      checkHomeserverToken(req, "right-token");
    } catch (err) {
      assert.ok(err instanceof MatrixApiError);
      return [err.status, err.errcode];
    }
    return null;
  };

  it("passes the right token and refuses a missing one with 401 and a wrong one with 403", () => {
    assert.equal(refusal(request({ authorization: "Bearer right-token" })), null);
    assert.equal(refusal(request({}, { access_token: "right-token" })), null);
    assert.deepEqual(refusal(request({})), [401, "M_UNAUTHORIZED"]);
    assert.deepEqual(refusal(request({}, { access_token: "" })), [401, "M_UNAUTHORIZED"]);
    assert.deepEqual(refusal(request({ authorization: "Bearer wrong-token" })), [403, "M_FORBIDDEN"]);
  });
});

describe("MatrixApiError", () => {
  it("serialises to the Matrix error shape", () => {
    const err = new MatrixApiError(404, "M_NOT_FOUND", "no such user");
    assert.deepEqual(JSON.parse(JSON.stringify(err)), { errcode: "M_NOT_FOUND", error: "no such user" });
  });
});
