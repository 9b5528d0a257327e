// The benchmarks (bench/, `npm run bench`) at tiny sizes, so they cannot rot between the runs that measure: each one
// must start what it needs, move its messages end to end, and write a result that reads back with sane figures. The
// results go to this suite's run folder, never over the real ones in bench/results.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runEndToEndBenchmark } from "../../bench/src/end-to-end.ts";
import { runIngestBenchmark } from "../../bench/src/ingest.ts";
import { runPuppetsBenchmark } from "../../bench/src/puppets.ts";
import type { BenchContext } from "../../bench/src/results.ts";
import { runStartupBenchmark } from "../../bench/src/startup.ts";
import { useRunDir } from "../harness/run-dir.ts";

const isPositive = (value: number) => Number.isFinite(value) && value > 0;

function readResult(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("benchmarks at tiny sizes", () => {
  const runDir = useRunDir("bench-smoke");
  const context = (): BenchContext => ({
    resultsDir: join(runDir.path, "results"),
    runs: 1,
    note: "smoke run",
    log: () => undefined,
  });

  test("ingest: every receiver (LevelDB, PostgreSQL, matrix-appservice-bridge, the floor) gets every event; rates, latencies, ratios and bridge-core's stages come out", async () => {
    const result = await runIngestBenchmark(context(), {
      transactions: 3,
      eventsPerTransaction: 5,
      rooms: 2,
      senders: 2,
      pacedTransactions: 3,
    });
    for (const variant of Object.values(result.variants)) {
      assert.ok(isPositive(variant.eventsPerSecond), `${variant.label}: ${variant.eventsPerSecond} events/s`);
      assert.ok(
        isPositive(variant.p99Ms) && variant.p50Ms <= variant.p99Ms,
        `${variant.label} stream latency`,
      );
      assert.ok(isPositive(variant.pacedP99Ms), `${variant.label} paced latency`);
      assert.equal(variant.homeserverRequests, 0, `${variant.label} stayed off the homeserver`);
    }
    assert.ok(
      isPositive(result.ratioSync) && isPositive(result.ratioNoSync) && isPositive(result.ratioPostgres),
    );
    for (const key of ["coreSync", "coreNoSync", "corePostgres"] as const) {
      const stages = result.variants[key].stages;
      assert.ok(stages, `${key}: a stage breakdown`);
      for (const stage of ["receive", "accept", "acknowledge", "dispatch", "mapping", "completion"] as const)
        assert.ok(isPositive(stages[stage]), `${key}: ${stage} ${stages[stage]} µs`);
    }
    assert.ok(isPositive(result.ratioFloor), "the floor's ratio");
    assert.equal(readResult(result.files.jsonPath)["note"], "smoke run");
    assert.match(readFileSync(result.files.markdownPath, "utf8"), /\| bridge-core, store.sync on/);
    assert.match(readFileSync(result.files.markdownPath, "utf8"), /\| bridge-core, PostgreSQL store/);
  });

  test("startup: the bridge starts on a filled store, LevelDB and PostgreSQL, and reports every linked room", async () => {
    const result = await runStartupBenchmark(context(), { rooms: 20, eventMappings: 100 });
    assert.equal(result.runsMs.length, 1);
    assert.ok(isPositive(result.medianMs) && result.medianMs < result.medianSinceStart);
    assert.deepEqual(readResult(result.files.jsonPath)["shape"], { rooms: 20, eventMappings: 100 });
    assert.deepEqual(
      result.stores.map((r) => r.store),
      ["LevelDB", "PostgreSQL"],
    );
    for (const r of result.stores)
      assert.ok(isPositive(r.medianMs) && r.medianMs < r.medianSinceStart, r.store);
  });

  test("end to end: messages cross Synapse and InspIRCd, then ngIRCd, both ways, bridged and on the floor", async () => {
    const result = await runEndToEndBenchmark(context(), 3);
    assert.deepEqual(
      result.servers.map((s) => s.server),
      ["InspIRCd", "ngIRCd"],
    );
    for (const { directions } of result.servers) {
      for (const direction of Object.values(directions)) {
        for (const way of [direction.bridged, direction.floor]) {
          assert.ok(isPositive(way.p50Ms) && way.p50Ms <= way.p99Ms);
          assert.ok(isPositive(way.messagesPerSecond));
          assert.ok(Number.isFinite(way.loadAverage));
        }
      }
    }
    assert.match(readFileSync(result.files.markdownPath, "utf8"), /\| ngIRCd +\| Matrix → IRC +\|/);
  });

  test("puppets: every Matrix user's own IRC connection speaks, and memory is measured", async () => {
    const result = await runPuppetsBenchmark(context(), { users: 4, channels: 2, large: 6 });
    assert.equal(result.summaries.length, 2);
    assert.ok(isPositive(result.large?.rssMb ?? 0), "the larger run, as shipped");
    for (const { label, summary } of result.summaries) {
      assert.ok(isPositive(summary.connectAllMs), `${label}: connect time`);
      assert.ok(isPositive(summary.rssMb), `${label}: resident memory`);
      assert.ok(Number.isFinite(summary.rssPerConnectionKb), `${label}: memory per connection`);
    }
  });
});
