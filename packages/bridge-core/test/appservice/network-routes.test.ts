import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import express from "express";
import { createNetworkRoutesRouter, NETWORK_ROUTES_PREFIX } from "../../src/appservice/network-routes.ts";
import { Logger } from "../../src/log.ts";
import type { NetworkHttpRoute } from "../../src/network.ts";

describe("network routes (NetworkPlugin.httpRoutes)", () => {
  const received: unknown[] = [];
  const logLines: string[] = [];
  const route: NetworkHttpRoute = {
    path: "example/webhook",
    secret: { header: "X-Example-Secret", value: "the-example-secret" },
    handle: async (body) => {
      received.push(body);
      if ((body as { fail?: boolean }).fail) throw new Error("handler failed");
      return { status: 202, body: { taken: true } };
    },
  };
  let base = "";
  let close: () => void = () => undefined;

  before(async () => {
    const app = express();
    const logger = Logger.create({ level: "debug", sink: { write: (line) => logLines.push(line) } });
    app.use(NETWORK_ROUTES_PREFIX, createNetworkRoutesRouter({ routes: [route], maxBodyBytes: 100, logger }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${NETWORK_ROUTES_PREFIX}/example/webhook`;
    close = () => server.close();
    // Logged once the router has registered the secret: it must come out scrubbed.
    logger.info("secret check", { value: "the-example-secret" });
  });
  after(() => close());

  const post = (headers: Record<string, string>, body: string) =>
    fetch(base, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  it("hands an authenticated JSON body to the route and answers with its status and body", async () => {
    const res = await post({ "x-example-secret": "the-example-secret" }, '{"a":1}');
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { taken: true });
    assert.deepEqual(received.at(-1), { a: 1 });
  });

  it("refuses a missing or wrong secret without reading the body", async () => {
    const before = received.length;
    assert.equal((await post({}, '{"a":2}')).status, 401);
    assert.equal((await post({ "x-example-secret": "the-example-secreT" }, '{"a":2}')).status, 401);
    assert.equal(received.length, before);
  });

  it("answers bad JSON, too large a body and other methods in JSON, not HTML", async () => {
    const secret = { "x-example-secret": "the-example-secret" };
    const bad = await post(secret, "{nope");
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errcode: string }).errcode, "M_NOT_JSON");
    assert.equal((await post(secret, JSON.stringify({ pad: "x".repeat(200) }))).status, 413);
    const get = await fetch(base);
    assert.equal(get.status, 405);
    assert.match(get.headers.get("content-type") ?? "", /json/);
  });

  it("a failing handler is answered 500 and logged", async () => {
    const res = await post({ "x-example-secret": "the-example-secret" }, '{"fail":true}');
    assert.equal(res.status, 500);
    assert.ok(logLines.some((l) => l.includes("a network route failed")));
    assert.ok(!logLines.some((l) => l.includes("the-example-secret")), "the secret is never logged");
  });

  it("refuses route paths outside the allowed alphabet and empty secrets", () => {
    const logger = Logger.create({ sink: { write: () => undefined } });
    for (const path of ["../x", "a//b", "/a", "a b", ""]) {
      assert.throws(() =>
        createNetworkRoutesRouter({ routes: [{ ...route, path }], maxBodyBytes: 10, logger }),
      );
    }
    const noSecret = { ...route, secret: { header: "x", value: "" } };
    assert.throws(() => createNetworkRoutesRouter({ routes: [noSecret], maxBodyBytes: 10, logger }));
  });
});
