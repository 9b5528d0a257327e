// Benchmark 4, puppets: many Matrix users, each with their own IRC connection to a local InspIRCd (whose connection
// limits the harness lifts), in one bridge process: how long until every one of them is connected and has spoken,
// and what the connections cost in resident memory and heap. Each run is a fresh process (puppets-process.ts), so
// its memory holds nothing from other runs; an IRC client in the channels checks that every message arrived.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { InspircdServer } from "../../test/harness/irc/inspircd.ts";
import { connectIrcClient } from "../../test/harness/irc/irc-client.ts";
import { createRunDir } from "../../test/harness/run-dir.ts";
import type { PuppetsProcessResult } from "./puppets-process.ts";
import { type BenchContext, type ResultFiles, table, writeResult } from "./results.ts";
import { describeMachine, finishMachineNote, median, round } from "./stats.ts";

const run = promisify(execFile);
const PROCESS_SCRIPT = join(import.meta.dirname, "puppets-process.ts");
const MB = 1024 * 1024;
/** Long enough for a thousand registrations on a busy machine; a run that takes longer is broken, not slow. */
const PROCESS_TIMEOUT_MS = 10 * 60_000;
const ARRIVAL_TIMEOUT_MS = 30_000;

export const PUPPETS_TARGET_RSS_MB = 150;
export const FULL_PUPPETS_SHAPE = { users: 1000, channels: 20 };

interface PuppetsRun {
  connectAllMs: number;
  /** process.memoryUsage() in MB, after a full collection, before the puppets and with them. */
  memoryMb: { baseline: Record<string, number>; connected: Record<string, number> };
  rssMb: number;
  rssAddedMb: number;
  heapAddedMb: number;
  rssPerConnectionKb: number;
  heapPerConnectionKb: number;
}

function toRun(result: PuppetsProcessResult): PuppetsRun {
  const rssAdded = result.connected.rss - result.baseline.rss;
  const heapAdded = result.connected.heapUsed - result.baseline.heapUsed;
  const inMb = (usage: NodeJS.MemoryUsage) =>
    Object.fromEntries(Object.entries(usage).map(([key, bytes]) => [key, round(bytes / MB, 1)]));
  return {
    connectAllMs: round(result.connectAllMs, 0),
    memoryMb: { baseline: inMb(result.baseline), connected: inMb(result.connected) },
    rssMb: round(result.connected.rss / MB, 1),
    rssAddedMb: round(rssAdded / MB, 1),
    heapAddedMb: round(heapAdded / MB, 1),
    rssPerConnectionKb: round(rssAdded / 1024 / result.users, 1),
    heapPerConnectionKb: round(heapAdded / 1024 / result.users, 1),
  };
}

/**
 * The process as Node starts it, and with a young generation of 2 MB semi-spaces: V8 grows the young generation
 * under the allocation burst of a thousand connections and keeps the pages, which is most of the resident memory
 * the connections add.
 */
const V8_SETTINGS = [
  { label: "Node defaults", flags: [] as string[] },
  { label: "--max-semi-space-size=2", flags: ["--max-semi-space-size=2"] },
];

type PuppetsSummary = Omit<PuppetsRun, "memoryMb">;

export interface PuppetsResult {
  /** By V8 setting, in the order of V8_SETTINGS. */
  summaries: { label: string; summary: PuppetsSummary }[];
  files: ResultFiles;
}

function summarize(runs: PuppetsRun[]): PuppetsSummary {
  const pick = (key: keyof PuppetsSummary) => median(runs.map((r) => r[key]));
  return {
    connectAllMs: pick("connectAllMs"),
    rssMb: pick("rssMb"),
    rssAddedMb: pick("rssAddedMb"),
    heapAddedMb: pick("heapAddedMb"),
    rssPerConnectionKb: pick("rssPerConnectionKb"),
    heapPerConnectionKb: pick("heapPerConnectionKb"),
  };
}

export async function runPuppetsBenchmark(
  context: BenchContext,
  shape: { users: number; channels: number } = FULL_PUPPETS_SHAPE,
): Promise<PuppetsResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-puppets");
  const runs: PuppetsRun[][] = V8_SETTINGS.map(() => []);
  let failed = true;
  const server = await InspircdServer.create({ runDir: runDir.path });
  try {
    await server.start();
    const observer = await connectIrcClient({ host: server.host, port: server.port, nick: "observer" });
    try {
      for (let c = 0; c < shape.channels; c++) await observer.join(`#puppets${c}`);
      let spoke = new Set<string>();
      observer.client.on("privmsg", (event) => {
        if (typeof event["nick"] === "string") spoke.add(event["nick"]);
      });
      for (let i = 0; i < context.runs; i++) {
        for (const [v, setting] of V8_SETTINGS.entries()) {
          spoke = new Set<string>();
          const { stdout } = await run(
            process.execPath,
            [
              "--expose-gc",
              ...setting.flags,
              PROCESS_SCRIPT,
              server.host,
              String(server.port),
              String(shape.users),
              String(shape.channels),
              join(runDir.path, `run-${i}-${v}`),
            ],
            { timeout: PROCESS_TIMEOUT_MS, maxBuffer: 16 * MB },
          );
          const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
          while (spoke.size < shape.users && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 100));
          if (spoke.size < shape.users) {
            throw new Error(`only ${spoke.size} of ${shape.users} puppets' messages reached the channels`);
          }
          const lastLine = stdout.trim().split("\n").at(-1) ?? "";
          const result = toRun(JSON.parse(lastLine) as PuppetsProcessResult);
          runs[v]?.push(result);
          context.log(`puppets run ${i + 1}/${context.runs} (${setting.label}): ${JSON.stringify(result)}`);
        }
      }
    } finally {
      await observer.quit();
    }
    failed = false;
  } finally {
    await server.destroy(failed);
    runDir.finish(failed);
  }
  const summaries = V8_SETTINGS.map((setting, v) => ({
    label: setting.label,
    summary: summarize(runs[v] ?? []),
  }));
  const markdown = [
    "# Puppets",
    "",
    `${shape.users} Matrix users, each with their own IRC connection (bridge-irc's puppet pool) to a local InspIRCd, ` +
      `spread over ${shape.channels} portal channels. One bridge process (bridge-core with the IRC plugin) per run; ` +
      "transactions with one message from each user are sent to it over loopback HTTP as a homeserver would (no " +
      "Synapse: registering and driving a thousand Matrix users through it would measure Synapse), and each message " +
      "goes out on its sender's puppet, connected and joined on demand. Connect time is from the first transaction " +
      "to the bridge's queue being idle (every message handed to the plugin); an IRC client in the channels checks " +
      "that every puppet spoke. Memory is after a full garbage collection, before the puppets and with them. Each " +
      "run measures the process with Node's default V8 settings and with a small young generation " +
      `(--max-semi-space-size=2). Medians of ${context.runs} runs.`,
    "",
    ...table(
      [
        "V8 settings",
        "puppets",
        "connect all s",
        "process RSS MB",
        "RSS added MB",
        "heap added MB",
        "RSS / connection KB",
        "heap / connection KB",
        `RSS added ≤ ${PUPPETS_TARGET_RSS_MB} MB`,
        `process RSS ≤ ${PUPPETS_TARGET_RSS_MB} MB`,
      ],
      summaries.map(({ label, summary }) => [
        label,
        shape.users,
        round(summary.connectAllMs / 1000, 2),
        summary.rssMb,
        summary.rssAddedMb,
        summary.heapAddedMb,
        summary.rssPerConnectionKb,
        summary.heapPerConnectionKb,
        summary.rssAddedMb <= PUPPETS_TARGET_RSS_MB ? "met" : "missed",
        summary.rssMb <= PUPPETS_TARGET_RSS_MB ? "met" : "missed",
      ]),
    ),
  ];
  const files = writeResult(
    context,
    "puppets",
    {
      machine: finishMachineNote(machine),
      shape,
      runs: context.runs,
      summaries,
      perRun: V8_SETTINGS.map((setting, v) => ({ label: setting.label, runs: runs[v] })),
    },
    markdown,
  );
  return { summaries, files };
}
