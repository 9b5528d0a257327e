// Benchmark 2, start-up: bridge-core's Bridge starting on a store that already holds many portals and event mappings,
// from `new Bridge` to `start()` resolving (store open, application service API listening, homeserver pinged, network
// started: the bridge is ready). The fake homeserver answers the ping, so what is measured is the bridge's own work.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EventId, LevelStore, type RoomId, remoteMessageId, remoteRoomId } from "bridge-core";
import { createRunDir } from "../../test/harness/run-dir.ts";
import { BENCH_DOMAIN } from "./core-bridge.ts";
import { type BenchContext, type ResultFiles, table, writeResult } from "./results.ts";
import type { StartupProcessResult } from "./startup-process.ts";
import { describeMachine, finishMachineNote, median, round } from "./stats.ts";
import { roomIdOf } from "./synthetic-stream.ts";

const run = promisify(execFile);
const PROCESS_SCRIPT = join(import.meta.dirname, "startup-process.ts");
const PROCESS_TIMEOUT_MS = 120_000;

export const STARTUP_TARGET_MS = 2000;

export interface StartupShape {
  rooms: number;
  eventMappings: number;
}

export const FULL_STARTUP_SHAPE: StartupShape = { rooms: 10_000, eventMappings: 100_000 };

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

export interface StartupResult {
  medianMs: number;
  medianSinceStart: number;
  runsMs: number[];
  files: ResultFiles;
}

export async function runStartupBenchmark(
  context: BenchContext,
  shape: StartupShape = FULL_STARTUP_SHAPE,
): Promise<StartupResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-startup");
  const runsMs: number[] = [];
  const sinceProcessStartMs: number[] = [];
  let fillMs = 0;
  let failed = true;
  try {
    const fillStarted = performance.now();
    await fillStore(join(runDir.path, "store"), shape);
    fillMs = performance.now() - fillStarted;
    context.log(`startup: store filled with ${shape.rooms} rooms and ${shape.eventMappings} mappings`);
    for (let i = 0; i < context.runs; i++) {
      // A process of its own each time, on the same store, as a restart finds it.
      const { stdout } = await run(process.execPath, [PROCESS_SCRIPT, runDir.path, String(shape.rooms)], {
        timeout: PROCESS_TIMEOUT_MS,
      });
      const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as StartupProcessResult;
      runsMs.push(round(result.startMs, 1));
      sinceProcessStartMs.push(round(result.sinceProcessStartMs, 1));
      context.log(
        `startup run ${i + 1}/${context.runs}: ready in ${Math.round(result.startMs)} ms ` +
          `(${Math.round(result.sinceProcessStartMs)} ms since the process started)`,
      );
    }
    failed = false;
  } finally {
    runDir.finish(failed);
  }
  const medianMs = median(runsMs);
  const medianSinceStart = median(sinceProcessStartMs);
  const markdown = [
    "# Start-up",
    "",
    `bridge-core's Bridge on a store holding ${shape.rooms} portals and ${shape.eventMappings} event mappings: time ` +
      "from constructing the bridge to `start()` resolving (store opened, application service API listening, " +
      "homeserver ping answered by a fake homeserver, network plugin started; the plugin reads the linked rooms and " +
      "saved logins, as a real one does to rejoin and reconnect). Each run is a new process on the same store, as a " +
      "restart finds it; the time since the process started adds Node's own start and loading the bridge's code. " +
      `Medians of ${context.runs} runs.`,
    "",
    ...table(
      [
        "rooms",
        "event mappings",
        "ready in ms",
        "runs ms",
        "since process start ms",
        `ready in ≤ ${STARTUP_TARGET_MS} ms`,
        `since process start ≤ ${STARTUP_TARGET_MS} ms`,
      ],
      [
        [
          shape.rooms,
          shape.eventMappings,
          medianMs,
          runsMs.join(", "),
          medianSinceStart,
          medianMs <= STARTUP_TARGET_MS ? "met" : "missed",
          medianSinceStart <= STARTUP_TARGET_MS ? "met" : "missed",
        ],
      ],
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
      sinceProcessStartMs,
      medianSinceProcessStartMs: medianSinceStart,
      fillMs: round(fillMs, 0),
    },
    markdown,
  );
  return { medianMs, medianSinceStart, runsMs, files };
}
