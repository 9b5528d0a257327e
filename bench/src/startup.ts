// Benchmark 2, start-up: bridge-core's Bridge starting on a store that already holds many portals and event mappings,
// from `new Bridge` to `start()` resolving (store open, application service API listening, homeserver pinged, network
// started: the bridge is ready). The fake homeserver answers the ping, so what is measured is the bridge's own work.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EventId, type RoomId, remoteMessageId, remoteRoomId } from "bridge-core";
import { defaultKeyFile, LevelStore } from "bridge-core/bridge";
import { PG_DEFAULTS, PgStore } from "bridge-core/postgres";
import { PostgresCluster } from "../../test/harness/postgres.ts";
import { createRunDir } from "../../test/harness/run-dir.ts";
import { BENCH_DOMAIN } from "./core-bridge.ts";
import { type BenchContext, type ResultFiles, table, writeResult } from "./results.ts";
import type { StartupProcessResult } from "./startup-process.ts";
import { describeMachine, finishMachineNote, loadNow, median, round } from "./stats.ts";
import { roomIdOf } from "./synthetic-stream.ts";

const run = promisify(execFile);
const PROCESS_SCRIPT = join(import.meta.dirname, "startup-process.ts");
const PROCESS_TIMEOUT_MS = 120_000;

export const STARTUP_TARGET_MS = 2000;

export interface StartupShape {
  rooms: number;
  eventMappings: number;
}

export const FULL_STARTUP_SHAPE: StartupShape = { rooms: 100_000, eventMappings: 1_000_000 };

/** Writes in parallel up to this many at a time: filling the store is set-up, not what is measured. */
const FILL_CONCURRENCY = 500;

async function inChunks(count: number, write: (index: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += FILL_CONCURRENCY) {
    const chunk = [];
    for (let i = start; i < Math.min(count, start + FILL_CONCURRENCY); i++) chunk.push(write(i));
    await Promise.all(chunk);
  }
}

async function fillStore(path: string, shape: StartupShape): Promise<void> {
  const store = await LevelStore.open({ path, sync: false });
  try {
    const createdAt = Date.now();
    await inChunks(shape.rooms, (r) =>
      store.putRoomLink({
        roomId: roomIdOf(r, BENCH_DOMAIN) as RoomId,
        remoteRoomId: remoteRoomId(`#room${r}`),
        kind: "portal",
        createdAt,
      }),
    );
    await inChunks(shape.eventMappings, (e) =>
      store.putEventLink({
        roomId: roomIdOf(e % shape.rooms, BENCH_DOMAIN) as RoomId,
        eventId: `$event${e}` as EventId,
        remoteRoomId: remoteRoomId(`#room${e % shape.rooms}`),
        remoteMessageId: remoteMessageId(`msg${e}`),
      }),
    );
  } finally {
    await store.close();
  }
}

/**
 * The same records in PostgreSQL, written in bulk (filling is set-up, not what is measured); the store is opened
 * first so that its tables exist, and shares the LevelDB store's key file.
 */
async function fillPostgres(url: string, keyFile: string, shape: StartupShape): Promise<void> {
  const store = await PgStore.open({ ...PG_DEFAULTS, url, keyFile });
  try {
    const rooms = Array.from({ length: shape.rooms }, (_, r) => r);
    await store.db.query(
      `INSERT INTO room_links (room_id, remote_room_id, link)
       SELECT r, rr, json_build_object('roomId', r, 'remoteRoomId', rr, 'kind', 'portal', 'createdAt', $3::bigint)
       FROM unnest($1::text[], $2::text[]) AS t (r, rr)`,
      [rooms.map((r) => roomIdOf(r, BENCH_DOMAIN)), rooms.map((r) => `#room${r}`), Date.now()],
    );
    const events = Array.from({ length: shape.eventMappings }, (_, e) => e);
    await store.db.query(
      `INSERT INTO event_links (room_id, event_id, remote_room_id, remote_message_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
      [
        events.map((e) => roomIdOf(e % shape.rooms, BENCH_DOMAIN)),
        events.map((e) => `$event${e}`),
        events.map((e) => `#room${e % shape.rooms}`),
        events.map((e) => `msg${e}`),
      ],
    );
    await store.db.query("ANALYZE");
  } finally {
    await store.close();
  }
}

export interface StartupStoreResult {
  store: "LevelDB" | "PostgreSQL";
  medianMs: number;
  medianSinceStart: number;
  runsMs: number[];
  sinceProcessStartMs: number[];
  /** The one-minute load average as each run ended. */
  loadAverages: number[];
}

export interface StartupResult {
  /** LevelDB's, as before PostgreSQL was measured beside it. */
  medianMs: number;
  medianSinceStart: number;
  runsMs: number[];
  stores: StartupStoreResult[];
  files: ResultFiles;
}

export async function runStartupBenchmark(
  context: BenchContext,
  shape: StartupShape = FULL_STARTUP_SHAPE,
): Promise<StartupResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-startup");
  const stores: StartupStoreResult[] = [];
  let fillMs = 0;
  let failed = true;
  let cluster: PostgresCluster | null = null;
  try {
    const fillStarted = performance.now();
    await fillStore(join(runDir.path, "store"), shape);
    fillMs = performance.now() - fillStarted;
    cluster = await PostgresCluster.start(runDir.path);
    const url = await cluster.createDatabase("startup");
    await fillPostgres(url, defaultKeyFile(join(runDir.path, "store")), shape);
    context.log(`startup: stores filled with ${shape.rooms} rooms and ${shape.eventMappings} mappings`);
    for (const [store, extra] of [
      ["LevelDB", []],
      ["PostgreSQL", [url]],
    ] as const) {
      const runsMs: number[] = [];
      const sinceProcessStartMs: number[] = [];
      const loadAverages: number[] = [];
      for (let i = 0; i < context.runs; i++) {
        // A process of its own each time, on the same store, as a restart finds it.
        const { stdout } = await run(
          process.execPath,
          [PROCESS_SCRIPT, runDir.path, String(shape.rooms), ...extra],
          { timeout: PROCESS_TIMEOUT_MS },
        );
        const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as StartupProcessResult;
        runsMs.push(round(result.startMs, 1));
        sinceProcessStartMs.push(round(result.sinceProcessStartMs, 1));
        loadAverages.push(loadNow());
        context.log(
          `startup on ${store} run ${i + 1}/${context.runs}: ready in ${Math.round(result.startMs)} ms ` +
            `(${Math.round(result.sinceProcessStartMs)} ms since the process started)`,
        );
      }
      stores.push({
        store,
        medianMs: median(runsMs),
        medianSinceStart: median(sinceProcessStartMs),
        runsMs,
        sinceProcessStartMs,
        loadAverages,
      });
    }
    failed = false;
  } finally {
    await cluster?.stop();
    runDir.finish(failed);
  }
  const level = stores[0] ?? { medianMs: Number.NaN, medianSinceStart: Number.NaN, runsMs: [] };
  const { medianMs, medianSinceStart, runsMs } = level;
  const markdown = [
    "# Start-up",
    "",
    `bridge-core's Bridge on a store holding ${shape.rooms} portals and ${shape.eventMappings} event mappings: time ` +
      "from constructing the bridge to `start()` resolving (store opened, application service API listening, " +
      "homeserver ping answered by a fake homeserver, network plugin started; the plugin reads the linked rooms and " +
      "saved logins, as a real one does to rejoin and reconnect). Each run is a new process on the same store, as a " +
      "restart finds it; the time since the process started adds Node's own start and loading the bridge's code. " +
      `Medians of ${context.runs} runs. PostgreSQL: the same records in a database of a local cluster of the ` +
      "harness's (test/harness/postgres.ts), over TCP on loopback.",
    "",
    ...table(
      [
        "store",
        "rooms",
        "event mappings",
        "ready in ms",
        "runs ms",
        "load average per run",
        "since process start ms",
        `ready in ≤ ${STARTUP_TARGET_MS} ms`,
        `since process start ≤ ${STARTUP_TARGET_MS} ms`,
      ],
      stores.map((r) => [
        r.store,
        shape.rooms,
        shape.eventMappings,
        r.medianMs,
        r.runsMs.join(", "),
        r.loadAverages.join(", "),
        r.medianSinceStart,
        r.medianMs <= STARTUP_TARGET_MS ? "met" : "missed",
        r.medianSinceStart <= STARTUP_TARGET_MS ? "met" : "missed",
      ]),
    ),
  ];
  const files = writeResult(
    context,
    "startup",
    {
      machine: finishMachineNote(machine),
      shape,
      targetMs: STARTUP_TARGET_MS,
      medianMs,
      runsMs,
      sinceProcessStartMs: stores[0]?.sinceProcessStartMs ?? [],
      medianSinceProcessStartMs: medianSinceStart,
      stores,
      fillMs: round(fillMs, 0),
    },
    markdown,
  );
  return { medianMs, medianSinceStart, runsMs, stores, files };
}
