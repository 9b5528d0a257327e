import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import express from "express";
import { HealthState } from "../../src/observability/health.ts";
import { BridgeMetrics } from "../../src/observability/metrics.ts";
import {
  createObservabilityRouter,
  type ObservabilityRouterOptions,
} from "../../src/observability/router.ts";
import { captureLogs } from "../matrix/helpers.ts";
import { sampleValue } from "./exposition.ts";

let server: Server | undefined;

async function serve(options: ObservabilityRouterOptions): Promise<string> {
  const app = express();
  app.use(createObservabilityRouter(options));
  const listening = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  server = listening;
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe("observability router", () => {
  it("serves the metrics as Prometheus text", async () => {
    const metrics = new BridgeMetrics({ processMetrics: false });
    let depth = 2;
    metrics.setQueueDepthSource(() => depth);
    metrics.eventBridged("irc", "matrix_to_remote", "m.room.message");
    const base = await serve({ metrics, health: new HealthState() });

    let res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), metrics.contentType);
    assert.equal(res.headers.get("cache-control"), "no-store");
    let body = await res.text();
    assert.match(body, /^# HELP bridge_events_total /m);
    const labels = { network: "irc", direction: "matrix_to_remote", type: "m.room.message" };
    assert.equal(sampleValue(body, "bridge_events_total", labels), 1);
    assert.equal(sampleValue(body, "bridge_queue_depth"), 2);

    depth = 9;
    res = await fetch(`${base}/metrics`);
    body = await res.text();
    assert.equal(sampleValue(body, "bridge_queue_depth"), 9);
  });

  it("answers /health with 200 while every component is ok and 503 otherwise, the snapshot as body", async () => {
    const health = new HealthState();
    health.set("homeserver", true);
    const base = await serve({ health });

    let res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(await res.json(), health.snapshot());

    health.set("store", false, "database closed");
    res = await fetch(`${base}/health`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as ReturnType<HealthState["snapshot"]>;
    assert.equal(body.ok, false);
    assert.deepEqual(body, health.snapshot());
    assert.equal(body.components["store"]?.detail, "database closed");

    health.set("store", true);
    res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  it("does not serve /metrics when metrics are disabled", async () => {
    const base = await serve({ health: new HealthState() });
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });

  it("answers a failed collection with a bare 500 that reveals nothing", async () => {
    const { logger, lines } = captureLogs();
    const failing = {
      contentType: "text/plain; version=0.0.4; charset=utf-8",
      metricsText: () => Promise.reject(new Error("boom at /srv/bridge/store")),
    } as unknown as BridgeMetrics;
    const base = await serve({ metrics: failing, health: new HealthState(), logger });

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 500);
    const body = await res.text();
    assert.equal(body, "metrics collection failed\n");
    assert.ok(lines.some((line) => line.includes("boom at /srv/bridge/store")));
  });
});
