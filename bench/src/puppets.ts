// Benchmark 4, puppets: many Matrix users, each with their own IRC connection to a local InspIRCd (whose connection
// limits the harness lifts), in one bridge process: how long until every one of them is connected and has spoken,
// and what the connections cost in resident memory and heap. Each run is a fresh process (puppets-process.ts), so
// its memory holds nothing from other runs; an IRC client in the channels checks that every message arrived.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { InspircdServer } from "../../test/harness/irc/inspircd.ts";
import { connectIrcClient } from "../../test/harness/irc/irc-client.ts";
import { REPO_ROOT } from "../../test/harness/paths.ts";
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
export const PUPPETS_TARGET_CONNECT_S = 10;
export const FULL_PUPPETS_SHAPE: PuppetsShape = { users: 1000, channels: 20 };
/**
 * The IRC plugin's puppets.connections_per_second in every run: the harness's InspIRCd lets one host open
 * connections without a limit (its connect class, clone limits and throttles are lifted), so the rate is the bridge's.
 */
export const PUPPETS_CONNECT_RATE = 200;

export interface PuppetsShape {
  users: number;
  channels: number;
  /** One more run, as shipped, with this many users, for the memory each connection costs at scale (`--large`). */
  large?: number;
}

interface PuppetsRun {
  connectAllMs: number;
  /** process.memoryUsage() in MB, after a full collection, before the puppets and with them. */
  memoryMb: { baseline: Record<string, number>; connected: Record<string, number> };
  rssMb: number;
  rssAddedMb: number;
  heapAddedMb: number;
  rssPerConnectionKb: number;
  heapPerConnectionKb: number;
  /** The machine's one-minute load average when the run ended. */
  loadAverage: number;
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
    loadAverage: round(loadavg()[0] ?? 0, 2),
  };
}

/**
 * How the shipped command starts Node: its launcher's first line, `#!/usr/bin/env -S [NAME=value ...] node <flags>`,
 * read as the environment it sets and the flags it passes.
 */
export function shippedCommand(): { env: Record<string, string>; flags: string[] } {
  const launcher = join(REPO_ROOT, "packages", "bridge-core", "src", "cli", "launch.js");
  const shebang = readFileSync(launcher, "utf8").split("\n")[0] ?? "";
  const match = /^#!\/usr\/bin\/env -S ((?:\w+=\S+ )*)node(.*)$/.exec(shebang);
  if (!match) throw new Error(`${launcher} does not start with "#!/usr/bin/env -S [NAME=value ...] node"`);
  const words = (text: string | undefined) => (text ?? "").trim().split(/\s+/).filter(Boolean);
  const env = Object.fromEntries(words(match[1]).map((word) => word.split("=", 2) as [string, string]));
  return { env, flags: words(match[2]) };
}

interface V8Setting {
  label: string;
  flags: string[];
  /** Environment variables set for the process (the shipped launcher's, e.g. the C library's allocator settings). */
  env: Record<string, string>;
  /** Whether sources come from Node's compile cache, as the shipped launcher turns it on (the cache warmed first). */
  compileCache: boolean;
}

/**
 * The process as plain `node` starts it (TypeScript stripped at start, V8's defaults), and as the shipped command
 * does: its launcher's V8 flags, and the compile cache, so the stripping compiler is never loaded.
 */
function v8Settings(): V8Setting[] {
  const { env, flags } = shippedCommand();
  const settings = [...Object.entries(env).map(([name, value]) => `${name}=${value}`), ...flags];
  return [
    { label: "Node defaults", flags: [], env: {}, compileCache: false },
    { label: `as shipped (${settings.join(" ")}, compile cache)`, flags, env, compileCache: true },
  ];
}

type PuppetsSummary = Omit<PuppetsRun, "memoryMb">;

export interface PuppetsResult {
  /** By V8 setting, in the order of v8Settings(). */
  summaries: { label: string; summary: PuppetsSummary }[];
  /** The one run with `shape.large` users, as shipped. */
  large?: PuppetsRun;
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
    loadAverage: pick("loadAverage"),
  };
}

/** Runs one bridge process with `users` puppets and checks, from the observer's side, that every one of them spoke. */
type RunProcess = (setting: V8Setting, users: number, channels: number, dir: string) => Promise<PuppetsRun>;

export async function runPuppetsBenchmark(
  context: BenchContext,
  shape: PuppetsShape = FULL_PUPPETS_SHAPE,
): Promise<PuppetsResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-puppets");
  const settings = v8Settings();
  const runs: PuppetsRun[][] = settings.map(() => []);
  let large: PuppetsRun | undefined;
  let failed = true;
  const server = await InspircdServer.create({ runDir: runDir.path });
  const compileCache = join(runDir.path, "compile-cache");
  try {
    await server.start();
    const observer = await connectIrcClient({ host: server.host, port: server.port, nick: "observer" });
    try {
      const channels = Math.max(shape.channels, 1);
      for (let c = 0; c < channels; c++) await observer.join(`#puppets${c}`);
      let spoke = new Set<string>();
      observer.client.on("privmsg", (event) => {
        if (typeof event["nick"] === "string") spoke.add(event["nick"]);
      });
      const runProcess: RunProcess = async (setting, users, inChannels, dir) => {
        spoke = new Set<string>();
        const { stdout } = await run(
          process.execPath,
          [
            "--expose-gc",
            ...setting.flags,
            PROCESS_SCRIPT,
            server.host,
            String(server.port),
            String(users),
            String(inChannels),
            dir,
            String(PUPPETS_CONNECT_RATE),
          ],
          {
            timeout: PROCESS_TIMEOUT_MS,
            maxBuffer: 16 * MB,
            env: {
              ...process.env,
              ...setting.env,
              NODE_COMPILE_CACHE: setting.compileCache ? compileCache : "",
            },
          },
        );
        const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
        while (spoke.size < users && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        if (spoke.size < users)
          throw new Error(`only ${spoke.size} of ${users} puppets' messages reached the channels`);
        const lastLine = stdout.trim().split("\n").at(-1) ?? "";
        return toRun(JSON.parse(lastLine) as PuppetsProcessResult);
      };
      // Fills the compile cache, as the shipped command's first start does; not measured.
      const shipped = settings.find((setting) => setting.compileCache);
      if (shipped) await runProcess(shipped, 1, 1, join(runDir.path, "warm-up"));
      for (let i = 0; i < context.runs; i++) {
        for (const [v, setting] of settings.entries()) {
          const result = await runProcess(setting, shape.users, channels, join(runDir.path, `run-${i}-${v}`));
          runs[v]?.push(result);
          context.log(`puppets run ${i + 1}/${context.runs} (${setting.label}): ${JSON.stringify(result)}`);
        }
      }
      if (shape.large !== undefined && shipped) {
        // As many users per channel as in the main runs: a JOIN goes to every member of its channel, so more users
        // in the same channels would measure the JOIN echo (quadratic in the channel's size), not the connections.
        const perChannel = Math.max(1, Math.floor(shape.users / channels));
        const largeChannels = Math.max(channels, Math.ceil(shape.large / perChannel));
        for (let c = channels; c < largeChannels; c++) await observer.join(`#puppets${c}`);
        large = await runProcess(shipped, shape.large, largeChannels, join(runDir.path, "large"));
        context.log(`puppets, ${shape.large} (${shipped.label}): ${JSON.stringify(large)}`);
      }
    } finally {
      await observer.quit();
    }
    failed = false;
  } finally {
    await server.destroy(failed);
    runDir.finish(failed);
  }
  const summaries = settings.map((setting, v) => ({
    label: setting.label,
    summary: summarize(runs[v] ?? []),
  }));
  const judged = (users: number, met: boolean) =>
    users !== FULL_PUPPETS_SHAPE.users ? `— (set for ${FULL_PUPPETS_SHAPE.users})` : met ? "met" : "missed";
  const row = (label: string, users: number, r: PuppetsSummary) => [
    label,
    users,
    round(r.connectAllMs / 1000, 2),
    r.rssMb,
    r.rssAddedMb,
    r.heapAddedMb,
    r.rssPerConnectionKb,
    r.heapPerConnectionKb,
    r.loadAverage,
    // The targets are set for a thousand puppets; other sizes are measured for their cost per connection.
    judged(users, r.rssMb <= PUPPETS_TARGET_RSS_MB),
    judged(users, r.connectAllMs <= PUPPETS_TARGET_CONNECT_S * 1000),
  ];
  const markdown = [
    "# Puppets",
    "",
    `${shape.users} Matrix users, each with their own IRC connection (bridge-irc's puppet pool) to a local InspIRCd, ` +
      `spread over ${shape.channels} portal channels. One bridge process (bridge-core with the IRC plugin) per run; ` +
      "transactions are sent to it over loopback HTTP as a homeserver would (no Synapse: registering and driving a " +
      "thousand Matrix users through it would measure Synapse): first each user joining their portal, then one " +
      "message from each. A puppet follows its user into the channel on the join, and its message goes out on it. " +
      `The plugin starts at most ${PUPPETS_CONNECT_RATE} connections a second (puppets.connections_per_second; ` +
      "the harness's InspIRCd sets no limit of its own on a host). Connect time is from the first transaction to " +
      "the bridge's queue being idle (every message handed to the plugin and confirmed by the server); an IRC " +
      "client in the channels checks that every puppet spoke. Memory is after a full garbage collection, before the " +
      "puppets and with them. Each run measures the process as plain `node` runs it and as the shipped command " +
      `(packages/bridge-core/src/cli/launch.js) does. Medians of ${context.runs} runs; load is the machine's ` +
      "one-minute load average at the end of each run." +
      (shape.large === undefined
        ? ""
        : ` The larger run (one, as shipped) has ${shape.large} users with as many per channel as the others.`),
    "",
    ...table(
      [
        "process",
        "puppets",
        "connect all s",
        "process RSS MB",
        "RSS added MB",
        "heap added MB",
        "RSS / connection KB",
        "heap / connection KB",
        "load",
        `process RSS ≤ ${PUPPETS_TARGET_RSS_MB} MB`,
        `connect ≤ ${PUPPETS_TARGET_CONNECT_S} s`,
      ],
      [
        ...summaries.map(({ label, summary }) => row(label, shape.users, summary)),
        ...(large === undefined || shape.large === undefined
          ? []
          : [row(`${settings.find((s) => s.compileCache)?.label ?? ""}, one run`, shape.large, large)]),
      ],
    ),
  ];
  const files = writeResult(
    context,
    "puppets",
    {
      machine: finishMachineNote(machine),
      shape,
      connectionsPerSecond: PUPPETS_CONNECT_RATE,
      runs: context.runs,
      summaries,
      perRun: settings.map((setting, v) => ({ label: setting.label, runs: runs[v] })),
      ...(large !== undefined && { large }),
    },
    markdown,
  );
  return { summaries, ...(large !== undefined && { large }), files };
}
