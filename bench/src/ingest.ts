// Benchmark 1, ingest: the same synthetic transaction stream over loopback HTTP into bridge-core (with the store's
// fsync per transaction on, as configured by default, and off) and into matrix-appservice-bridge, each with a handler
// that does nothing. Events per second, and per-event latency from the PUT leaving to the handler seeing the event.

import { join } from "node:path";
import { PostgresCluster } from "../../test/harness/postgres.ts";
import { createRunDir } from "../../test/harness/run-dir.ts";
import { EVENT_STAGES, type StageBreakdown, TRANSACTION_STAGES } from "./ingest-stages.ts";
import {
  type IngestRun,
  type IngestShape,
  runAppserviceBridgeIngest,
  runCoreIngest,
  runFloorIngest,
} from "./ingest-targets.ts";
import { type BenchContext, type ResultFiles, table, writeResult } from "./results.ts";
import { describeMachine, finishMachineNote, loadNow, median, percentile, round } from "./stats.ts";

export const INGEST_TARGETS = { ratioAtLeast: 3, p99AtMostMs: 5 };

export const FULL_INGEST_SHAPE: IngestShape = {
  transactions: 200,
  eventsPerTransaction: 100,
  rooms: 20,
  senders: 50,
  pacedTransactions: 500,
};

const VARIANTS = [
  { key: "coreSync", label: "bridge-core, store.sync on (default)" },
  { key: "coreNoSync", label: "bridge-core, store.sync off" },
  { key: "corePostgres", label: "bridge-core, PostgreSQL store" },
  { key: "appserviceBridge", label: "matrix-appservice-bridge 11" },
  { key: "floor", label: "floor: node:http, JSON.parse, 200" },
] as const;
const CORE_KEYS: readonly VariantKey[] = ["coreSync", "coreNoSync", "corePostgres"];
type VariantKey = (typeof VARIANTS)[number]["key"];

interface VariantSummary {
  label: string;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  pacedP50Ms: number;
  pacedP99Ms: number;
  homeserverRequests: number;
  /** bridge-core's: medians over the runs of each stage's mean, in microseconds (ingest-stages.ts). */
  stages?: StageBreakdown;
  runs: { eventsPerSecond: number; p50Ms: number; p99Ms: number; pacedP50Ms: number; pacedP99Ms: number }[];
}

export interface IngestResult {
  variants: Record<VariantKey, VariantSummary>;
  /** bridge-core's events/s over matrix-appservice-bridge's, per run, then the median of those. */
  ratioSync: number;
  ratioNoSync: number;
  ratioPostgres: number;
  /** The floor's events/s over matrix-appservice-bridge's: the most any receiver's ratio can be on this stream. */
  ratioFloor: number;
  files: ResultFiles;
}

function summarize(label: string, runs: IngestRun[]): VariantSummary {
  const perRun = runs.map((run) => ({
    eventsPerSecond: round(run.eventsPerSecond, 0),
    p50Ms: round(percentile(run.latenciesMs, 50)),
    p99Ms: round(percentile(run.latenciesMs, 99)),
    pacedP50Ms: round(percentile(run.pacedLatenciesMs, 50)),
    pacedP99Ms: round(percentile(run.pacedLatenciesMs, 99)),
  }));
  const timed = runs.flatMap((run) => (run.stages === undefined ? [] : [run.stages]));
  const stageNames = [...TRANSACTION_STAGES, ...EVENT_STAGES];
  const stages =
    timed.length === 0
      ? undefined
      : (Object.fromEntries(
          stageNames.map((stage) => [stage, median(timed.map((t) => t[stage]))]),
        ) as StageBreakdown);
  return {
    label,
    ...(stages !== undefined && { stages }),
    eventsPerSecond: median(perRun.map((r) => r.eventsPerSecond)),
    p50Ms: median(perRun.map((r) => r.p50Ms)),
    p99Ms: median(perRun.map((r) => r.p99Ms)),
    pacedP50Ms: median(perRun.map((r) => r.pacedP50Ms)),
    pacedP99Ms: median(perRun.map((r) => r.pacedP99Ms)),
    homeserverRequests: Math.max(...runs.map((r) => r.homeserverRequests)),
    runs: perRun,
  };
}

export async function runIngestBenchmark(
  context: BenchContext,
  shape: IngestShape = FULL_INGEST_SHAPE,
): Promise<IngestResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-ingest");
  const runs: Record<VariantKey, IngestRun[]> = {
    coreSync: [],
    coreNoSync: [],
    corePostgres: [],
    appserviceBridge: [],
    floor: [],
  };
  const ratiosFloor: number[] = [];
  /** The one-minute load average as each run ended. */
  const loadAverages: number[] = [];
  const ratiosSync: number[] = [];
  const ratiosNoSync: number[] = [];
  const ratiosPostgres: number[] = [];
  let failed = true;
  // One cluster for every run, a fresh database for each, as LevelDB gets a fresh folder.
  let cluster: PostgresCluster | null = null;
  try {
    cluster = await PostgresCluster.start(runDir.path);
    for (let i = 0; i < context.runs; i++) {
      const dir = (name: string) => join(runDir.path, `${name}-${i}`);
      const coreSync = await runCoreIngest({ dir: dir("core-sync"), shape, sync: true, label: `s${i}` });
      const coreNoSync = await runCoreIngest({ dir: dir("core-nosync"), shape, sync: false, label: `n${i}` });
      const corePostgres = await runCoreIngest({
        dir: dir("core-postgres"),
        shape,
        sync: true,
        label: `p${i}`,
        postgresUrl: await cluster.createDatabase("ingest"),
      });
      const mab = await runAppserviceBridgeIngest({ shape, label: `m${i}` });
      const floor = await runFloorIngest({ shape, label: `f${i}` });
      runs.floor.push(floor);
      loadAverages.push(loadNow());
      ratiosFloor.push(floor.eventsPerSecond / mab.eventsPerSecond);
      runs.coreSync.push(coreSync);
      runs.coreNoSync.push(coreNoSync);
      runs.corePostgres.push(corePostgres);
      runs.appserviceBridge.push(mab);
      ratiosSync.push(coreSync.eventsPerSecond / mab.eventsPerSecond);
      ratiosNoSync.push(coreNoSync.eventsPerSecond / mab.eventsPerSecond);
      ratiosPostgres.push(corePostgres.eventsPerSecond / mab.eventsPerSecond);
      context.log(
        `ingest run ${i + 1}/${context.runs}: core sync ${Math.round(coreSync.eventsPerSecond)} ev/s, ` +
          `core no-sync ${Math.round(coreNoSync.eventsPerSecond)} ev/s, ` +
          `core PostgreSQL ${Math.round(corePostgres.eventsPerSecond)} ev/s, ` +
          `matrix-appservice-bridge ${Math.round(mab.eventsPerSecond)} ev/s, floor ${Math.round(floor.eventsPerSecond)} ev/s ` +
          `(load average ${loadAverages.at(-1)})`,
      );
    }
    failed = false;
  } finally {
    await cluster?.stop();
    runDir.finish(failed);
  }
  const variants = {
    coreSync: summarize(VARIANTS[0].label, runs.coreSync),
    coreNoSync: summarize(VARIANTS[1].label, runs.coreNoSync),
    corePostgres: summarize(VARIANTS[2].label, runs.corePostgres),
    appserviceBridge: summarize(VARIANTS[3].label, runs.appserviceBridge),
    floor: summarize(VARIANTS[4].label, runs.floor),
  };
  const ratioFloor = round(median(ratiosFloor), 2);
  const ratioSync = round(median(ratiosSync), 2);
  const ratioNoSync = round(median(ratiosNoSync), 2);
  const ratioPostgres = round(median(ratiosPostgres), 2);
  const yesNo = (ok: boolean) => (ok ? "yes" : "no");
  const ratioOf = (key: VariantKey) =>
    ({
      coreSync: ratioSync,
      coreNoSync: ratioNoSync,
      corePostgres: ratioPostgres,
      appserviceBridge: 1,
      floor: ratioFloor,
    })[key];
  const { ratioAtLeast, p99AtMostMs } = INGEST_TARGETS;
  const markdown = [
    "# Ingest",
    "",
    `${shape.transactions} transactions × ${shape.eventsPerTransaction} m.room.message events (${shape.rooms} rooms, ` +
      `${shape.senders} senders), PUT one at a time over loopback HTTP as a homeserver sends them; latency from the PUT ` +
      `leaving to the handler seeing the event. Medians of ${context.runs} runs, each on a fresh store after a warm-up ` +
      "stream; ratios are per run (same run), then their median. bridge-core runs with a no-op network plugin " +
      "(events go out as puppets, mapped in the store) and a fake homeserver answering the start-up ping; " +
      "the PostgreSQL store on a local cluster of the harness's (test/harness/postgres.ts; fsync and synchronous " +
      "commit on, as by default), a fresh database each run; " +
      "matrix-appservice-bridge with its default queue, no stores (its nedb stores do not run on Node ≥ 23) and an " +
      "onEvent that only notes the event; the floor is a bare node:http server that parses each transaction and " +
      "answers, so its rate over matrix-appservice-bridge's is the highest ratio any receiver can reach on this " +
      'stream. "Stream" latency is on the full stream, sent as fast as it is acknowledged: bridge-core answers ' +
      "later once more than `appservice.max_backlog` (default 500) events wait for handling, so the backlog, and " +
      'with it the latency, stays bounded; "paced" latency is on ' +
      `${shape.pacedTransactions} single-event transactions, each sent once the previous one was handled.`,
    "",
    ...table(
      [
        "receiver",
        "events/s",
        "× matrix-appservice-bridge",
        "stream p50 ms",
        "stream p99 ms",
        "paced p50 ms",
        "paced p99 ms",
        `≥ ${ratioAtLeast}×`,
        `p99 ≤ ${p99AtMostMs} ms (stream / paced)`,
      ],
      VARIANTS.map(({ key }) => {
        const v = variants[key];
        const core = CORE_KEYS.includes(key);
        return [
          v.label,
          v.eventsPerSecond,
          `${ratioOf(key)}×`,
          v.p50Ms,
          v.p99Ms,
          v.pacedP50Ms,
          v.pacedP99Ms,
          core ? yesNo(ratioOf(key) >= ratioAtLeast) : "—",
          core ? `${yesNo(v.p99Ms <= p99AtMostMs)} / ${yesNo(v.pacedP99Ms <= p99AtMostMs)}` : "—",
        ];
      }),
    ),
    "",
    `Per run: bridge-core (sync on) ${ratiosSync.map((r) => `${round(r, 2)}×`).join(", ")} of ` +
      `matrix-appservice-bridge, at a one-minute load average of ${loadAverages.join(", ")} as the runs ended ` +
      "(other work on the same cores slows every receiver, and the ratios with it).",
    "",
    "## Where bridge-core's time goes",
    "",
    "One more full stream per run, timed stage by stage (bench/src/ingest-stages.ts); mean microseconds, medians " +
      "over the runs. Per transaction: receive (the PUT leaving to the store asked to accept it: the sender, HTTP, " +
      "routing, authentication, JSON, the body check), accept (the store's atomic write of the transaction), " +
      "acknowledge (accepted to the answer back at the sender, including any wait for the backlog). Per event: " +
      "queued (waiting for its room's turn: backlog, not work), dispatch (handling up to the plugin's sendMessage), " +
      "plugin (the plugin and the door until the mapping write), mapping (the event mapping written), completion " +
      "(the inbox entry marked handled). Rooms are handled side by side, so an event's stages overlap other " +
      "events' work: these are waits as each event saw them, not CPU time.",
    "",
    ...table(
      [
        "receiver",
        ...TRANSACTION_STAGES.map((s) => `${s} µs/txn`),
        ...EVENT_STAGES.map((s) => `${s} µs/event`),
      ],
      CORE_KEYS.map((key) => {
        const v = variants[key];
        const stages = v.stages;
        return [
          v.label,
          ...[...TRANSACTION_STAGES, ...EVENT_STAGES].map((stage) => (stages ? stages[stage] : "—")),
        ];
      }),
    ),
  ];
  const files = writeResult(
    context,
    "ingest",
    {
      machine: finishMachineNote(machine),
      shape,
      runs: context.runs,
      targets: INGEST_TARGETS,
      variants,
      ratioSync,
      ratioNoSync,
      ratioPostgres,
      ratioFloor,
      loadAveragesPerRun: loadAverages,
      ratiosFloorPerRun: ratiosFloor.map((r) => round(r, 2)),
      ratiosSyncPerRun: ratiosSync.map((r) => round(r, 2)),
      ratiosNoSyncPerRun: ratiosNoSync.map((r) => round(r, 2)),
      ratiosPostgresPerRun: ratiosPostgres.map((r) => round(r, 2)),
    },
    markdown,
  );
  context.log(
    `ingest: bridge-core ${ratioSync}× (sync on), ${ratioNoSync}× (sync off), ${ratioPostgres}× (PostgreSQL) ` +
      `matrix-appservice-bridge; the floor ${ratioFloor}×`,
  );
  return { variants, ratioSync, ratioNoSync, ratioPostgres, ratioFloor, files };
}
