import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { BridgeMetrics, LATENCY_BUCKETS_SECONDS } from "../../src/observability/metrics.ts";
import { captureLogs } from "../matrix/helpers.ts";
import { sampleValue } from "./exposition.ts";

const IRC = "irc";
const MESSAGE = "m.room.message";

function metricsAt(nowMs: number, extra: ConstructorParameters<typeof BridgeMetrics>[0] = {}): BridgeMetrics {
  return new BridgeMetrics({ processMetrics: false, now: () => nowMs, ...extra });
}

describe("BridgeMetrics", () => {
  it("counts bridged and failed events with their labels", async () => {
    const m = metricsAt(0);
    m.eventBridged(IRC, "remote_to_matrix", MESSAGE);
    m.eventBridged(IRC, "remote_to_matrix", MESSAGE);
    m.eventBridged(IRC, "matrix_to_remote", "m.reaction");
    m.eventFailed(IRC, "matrix_to_remote", MESSAGE);

    const text = await m.metricsText();
    const labels = (direction: string, type: string) => ({ network: IRC, direction, type });
    assert.equal(sampleValue(text, "bridge_events_total", labels("remote_to_matrix", MESSAGE)), 2);
    assert.equal(sampleValue(text, "bridge_events_total", labels("matrix_to_remote", "m.reaction")), 1);
    assert.equal(sampleValue(text, "bridge_events_total", labels("matrix_to_remote", MESSAGE)), undefined);
    assert.equal(sampleValue(text, "bridge_event_failures_total", labels("matrix_to_remote", MESSAGE)), 1);
  });

  it("observes latency from the receive time into the 1 ms … 30 s buckets", async () => {
    const m = metricsAt(10_000);
    m.eventBridged(IRC, "remote_to_matrix", MESSAGE, 9_750); // 250 ms
    m.eventBridged(IRC, "remote_to_matrix", MESSAGE, 10_500); // clock stepped back: counted as no delay
    m.eventBridged(IRC, "remote_to_matrix", MESSAGE); // receive time unknown: not observed

    assert.equal(LATENCY_BUCKETS_SECONDS[0], 0.001);
    assert.equal(LATENCY_BUCKETS_SECONDS.at(-1), 30);
    const text = await m.metricsText();
    const bucket = (le: string) =>
      sampleValue(text, "bridge_event_latency_seconds_bucket", {
        le,
        network: IRC,
        direction: "remote_to_matrix",
      });
    assert.equal(bucket("0.001"), 1);
    assert.equal(bucket("0.1"), 1);
    assert.equal(bucket("0.25"), 2);
    assert.equal(bucket("30"), 2);
    assert.equal(bucket("+Inf"), 2);
    const series = { network: IRC, direction: "remote_to_matrix" };
    assert.equal(sampleValue(text, "bridge_event_latency_seconds_sum", series), 0.25);
    assert.equal(sampleValue(text, "bridge_event_latency_seconds_count", series), 2);
    assert.equal(sampleValue(text, "bridge_events_total", { ...series, type: MESSAGE }), 3);
  });

  it("counts transactions and their events by kind, not counting a replay's events again", async () => {
    const m = metricsAt(0);
    let text = await m.metricsText();
    // Present at zero before any traffic, so a rate over them is defined from the start.
    assert.equal(sampleValue(text, "bridge_transactions_total", { outcome: "accepted" }), 0);
    assert.equal(sampleValue(text, "bridge_transaction_events_total", { kind: "to_device" }), 0);

    m.transactionAccepted({ timeline: 3, ephemeral: 2 });
    m.transactionAccepted({ timeline: 1, to_device: 0 });
    m.transactionAccepted();
    m.transactionAccepted({ timeline: 1 }, true);
    m.transactionReplayed();

    text = await m.metricsText();
    assert.equal(sampleValue(text, "bridge_transactions_total", { outcome: "accepted" }), 3);
    assert.equal(sampleValue(text, "bridge_transactions_total", { outcome: "reused_id" }), 1);
    assert.equal(sampleValue(text, "bridge_transactions_total", { outcome: "replayed" }), 1);
    assert.equal(sampleValue(text, "bridge_transaction_events_total", { kind: "timeline" }), 5);
    assert.equal(sampleValue(text, "bridge_transaction_events_total", { kind: "ephemeral" }), 2);
    assert.equal(sampleValue(text, "bridge_transaction_events_total", { kind: "to_device" }), 0);
  });

  it("reads the queue depth at scrape time", async () => {
    const m = metricsAt(0);
    let depth = 3;
    m.setQueueDepthSource(() => depth);
    assert.equal(sampleValue(await m.metricsText(), "bridge_queue_depth"), 3);
    depth = 7;
    assert.equal(sampleValue(await m.metricsText(), "bridge_queue_depth"), 7);
    depth = 0;
    assert.equal(sampleValue(await m.metricsText(), "bridge_queue_depth"), 0);
  });

  it("takes the portal count pushed or from an async source, keeping the last value when the source fails", async () => {
    const { logger, lines } = captureLogs();
    const m = metricsAt(0, { logger });
    m.setPortalCount(4);
    assert.equal(sampleValue(await m.metricsText(), "bridge_portals"), 4);

    let fail = false;
    m.setPortalCountSource(async () => {
      if (fail) throw new Error("store closed");
      return 12;
    });
    assert.equal(sampleValue(await m.metricsText(), "bridge_portals"), 12);
    fail = true;
    const text = await m.metricsText();
    assert.equal(sampleValue(text, "bridge_portals"), 12);
    assert.equal(sampleValue(text, "bridge_queue_depth"), 0);
    assert.ok(lines.some((line) => line.includes("could not read portal count")));
  });

  it("sets connected puppets per network", async () => {
    const m = metricsAt(0);
    m.puppetsConnected(IRC, 5);
    m.puppetsConnected("xmpp", 1);
    m.puppetsConnected(IRC, 4);
    const text = await m.metricsText();
    assert.equal(sampleValue(text, "bridge_puppets_connected", { network: IRC }), 4);
    assert.equal(sampleValue(text, "bridge_puppets_connected", { network: "xmpp" }), 1);
  });

  it("counts Matrix requests by endpoint and outcome, never keeping a query string", async () => {
    const m = metricsAt(0);
    m.matrixRequest("PUT /rooms/{roomId}/send", "retried");
    m.matrixRequest("PUT /rooms/{roomId}/send", "ok");
    m.matrixRequest("GET /sync?access_token=syt_supersecret", "rate_limited");
    m.matrixRequest("POST /join#frag", "error");
    const text = await m.metricsText();
    const send = "PUT /rooms/{roomId}/send";
    assert.equal(sampleValue(text, "bridge_matrix_requests_total", { method: send, outcome: "retried" }), 1);
    assert.equal(sampleValue(text, "bridge_matrix_requests_total", { method: send, outcome: "ok" }), 1);
    assert.equal(
      sampleValue(text, "bridge_matrix_requests_total", { method: "GET /sync", outcome: "rate_limited" }),
      1,
    );
    assert.equal(
      sampleValue(text, "bridge_matrix_requests_total", { method: "POST /join", outcome: "error" }),
      1,
    );
    assert.ok(!text.includes("supersecret"));
  });

  it("folds label values beyond the limit into 'other', so senders cannot grow the series without bound", async () => {
    const m = metricsAt(0, { maxLabelValues: 2 });
    for (const type of ["m.room.message", "m.reaction", "x.made.up.1", "x.made.up.2", "m.room.message"]) {
      m.eventBridged(IRC, "remote_to_matrix", type);
    }
    m.eventFailed(IRC, "remote_to_matrix", "x.made.up.3");
    m.eventBridged(IRC, "remote_to_matrix", "x".repeat(500));
    const text = await m.metricsText();
    const labels = (type: string) => ({ network: IRC, direction: "remote_to_matrix", type });
    assert.equal(sampleValue(text, "bridge_events_total", labels("m.room.message")), 2);
    assert.equal(sampleValue(text, "bridge_events_total", labels("m.reaction")), 1);
    assert.equal(sampleValue(text, "bridge_events_total", labels("other")), 3);
    assert.equal(sampleValue(text, "bridge_event_failures_total", labels("other")), 1);
    assert.ok(!text.includes("x.made.up"));
  });

  it("keeps each instance in its own registry, with process metrics, apart from the global one", async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics();
    assert.notEqual(a.registry, b.registry);
    a.eventBridged(IRC, "remote_to_matrix", MESSAGE);

    const [textA, textB] = await Promise.all([a.metricsText(), b.metricsText()]);
    const labels = { network: IRC, direction: "remote_to_matrix", type: MESSAGE };
    assert.equal(sampleValue(textA, "bridge_events_total", labels), 1);
    assert.equal(sampleValue(textB, "bridge_events_total", labels), undefined);
    for (const text of [textA, textB]) {
      assert.ok(text.includes("bridge_process_cpu_user_seconds_total"));
      assert.ok(text.includes("bridge_nodejs_heap_size_used_bytes"));
    }
    assert.equal(globalRegistry.getSingleMetric("bridge_events_total"), undefined);
    assert.equal(globalRegistry.getSingleMetric("bridge_process_cpu_user_seconds_total"), undefined);
  });

  it("exposes the Prometheus text content type", () => {
    assert.match(metricsAt(0).contentType, /^text\/plain; version=0\.0\.4/);
  });
});
