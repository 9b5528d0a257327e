// Benchmark 3, end to end: a real Synapse, a real IRC server (InspIRCd, then ngIRCd), and the IRC bridge between
// them. Messages from a Matrix user to an IRC user and back, paced for latency and in bursts for the sustained rate,
// beside the floor the same ways have without the bridge: Synapse delivering to an application service that does
// nothing, such a service speaking to a Matrix user, and one IRC client writing to another. Overhead is bridged
// minus floor, per run, on the same server.

import { join } from "node:path";
import { InspircdServer } from "../../test/harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../../test/harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../../test/harness/irc/irc-client.ts";
import { NgircdServer } from "../../test/harness/irc/ngircd.ts";
import type { IrcServer } from "../../test/harness/irc/server-process.ts";
import { registerUser, type TestClient } from "../../test/harness/matrix-test-client.ts";
import { createRunDir } from "../../test/harness/run-dir.ts";
import { Synapse } from "../../test/harness/synapse.ts";
import { ArrivalBoard, type Leg, type LegRun, measureLeg } from "./end-to-end-legs.ts";
import { type BenchContext, type ResultFiles, table, writeResult } from "./results.ts";
import { describeMachine, finishMachineNote, median, round } from "./stats.ts";
import { TrivialAppservice } from "./trivial-appservice.ts";

export const OVERHEAD_TARGET_SHARE_OF_FLOOR = 0.1;
export const FULL_END_TO_END_MESSAGES = 1000;

/** Stops something the benchmark started; `failed` keeps its data for reading afterwards. */
type Cleanup = (failed: boolean) => Promise<void> | void;

/** Last started, first stopped. */
async function runCleanups(cleanups: Cleanup[], failed: boolean): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup(failed);
}

/** Every IRC message the client receives goes on the board, by its text. */
function boardOf(client: IrcTestClient): ArrivalBoard {
  const board = new ArrivalBoard();
  client.client.on("privmsg", (event) => {
    if (typeof event["message"] === "string") board.note(event["message"]);
  });
  return board;
}

function matrixArrival(
  client: TestClient,
  roomId: string,
  sender: string,
): (text: string, timeoutMs: number) => Promise<void> {
  return async (text, timeoutMs) => {
    await client.waitForEvent((e) => e.sender === sender && e.content["body"] === text, {
      roomId,
      timeoutMs,
      description: `"${text}" from ${sender}`,
    });
  };
}

const LEG_NAMES = [
  "matrixToAppservice",
  "appserviceToMatrix",
  "ircToIrc",
  "matrixToIrc",
  "ircToMatrix",
] as const;
type LegName = (typeof LEG_NAMES)[number];

/** The floor's legs, on a Synapse of their own that loads the trivial application service. */
async function floorLegs(
  runDir: string,
  server: IrcServer,
  cleanups: Cleanup[],
): Promise<Record<"matrixToAppservice" | "appserviceToMatrix" | "ircToIrc", Leg>> {
  const appservice = await TrivialAppservice.create(runDir, "localhost");
  cleanups.push(() => appservice.close());
  const synapse = await Synapse.create({
    runDir: join(runDir, "floor"),
    appserviceRegistrationFiles: [appservice.registrationPath],
  });
  await synapse.start();
  cleanups.push((failed) => synapse.destroy(failed));
  appservice.useHomeserver(synapse.url);
  const alice = await registerUser(synapse, "alice");
  cleanups.push(() => alice.close());
  const room = await alice.createRoom({ preset: "public_chat" });
  await appservice.join(room);
  const fromMatrix = new ArrivalBoard();
  appservice.onEvent = (event) => {
    if (event.type === "m.room.message" && typeof event.content?.body === "string")
      fromMatrix.note(event.content.body);
  };
  const receiver = await connectIrcClient({ host: server.host, port: server.port, nick: "floorcarol" });
  cleanups.push(() => receiver.quit());
  const sender = await connectIrcClient({ host: server.host, port: server.port, nick: "floordave" });
  cleanups.push(() => sender.quit());
  await receiver.join("#floor");
  await sender.join("#floor");
  const fromIrc = boardOf(receiver);
  return {
    matrixToAppservice: {
      send: async (text) => void (await alice.sendText(room, text)),
      arrived: (text, timeoutMs) => fromMatrix.waitFor(text, timeoutMs),
    },
    appserviceToMatrix: {
      send: (text) => appservice.sendText(room, text),
      arrived: matrixArrival(alice, room, appservice.botUserId),
    },
    ircToIrc: {
      send: async (text) => sender.say("#floor", text),
      arrived: (text, timeoutMs) => fromIrc.waitFor(text, timeoutMs),
    },
  };
}

/** The bridged legs: a Matrix user in the portal of #bench, an IRC user in #bench. */
async function bridgedLegs(
  runDir: string,
  server: IrcServer,
  cleanups: Cleanup[],
): Promise<Record<"matrixToIrc" | "ircToMatrix", Leg>> {
  const carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
  cleanups.push(() => carol.quit());
  await carol.join("#bench");
  const stack = await startIrcBridgeStack({ runDir: join(runDir, "bridged"), server });
  cleanups.push((failed) => stack.stop(failed));
  const alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
  cleanups.push(() => alice.close());
  const room = await alice.join(`#irc_#bench:${stack.synapse.serverName}`);
  const ghost = `@irc_carol:${stack.synapse.serverName}`;
  const fromMatrix = boardOf(carol);
  const legs = {
    matrixToIrc: {
      send: async (text: string) => void (await alice.sendText(room, text)),
      arrived: (text: string, timeoutMs: number) => fromMatrix.waitFor(text, timeoutMs),
    },
    ircToMatrix: {
      send: async (text: string) => carol.say("#bench", text),
      arrived: matrixArrival(alice, room, ghost),
    },
  };
  // The puppet connects and joins on the first message, and the ghost is made on the first reply: not measured.
  await measureLeg(legs.matrixToIrc, "warm-m2i", 5);
  await measureLeg(legs.ircToMatrix, "warm-i2m", 5);
  return legs;
}

/** A way made of two legs: latencies add up, the rate is the slower leg's. */
function chain(a: LegRun, b: LegRun): LegRun {
  return {
    p50Ms: round(a.p50Ms + b.p50Ms),
    p99Ms: round(a.p99Ms + b.p99Ms),
    messagesPerSecond: Math.min(a.messagesPerSecond, b.messagesPerSecond),
    loadAverage: Math.max(a.loadAverage, b.loadAverage),
  };
}

export interface DirectionSummary {
  bridged: LegRun;
  floor: LegRun;
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** Overhead p50 over floor p50. */
  overheadShare: number;
}

/** Each run's bridged and floor figures are compared within the run; the medians over runs are reported. */
function summarizeDirection(bridged: LegRun[], floor: LegRun[]): DirectionSummary {
  const pick = (runs: LegRun[], key: keyof LegRun) => median(runs.map((run) => run[key]));
  const overheadP50 = bridged.map((b, i) => b.p50Ms - (floor[i]?.p50Ms ?? Number.NaN));
  const overheadP99 = bridged.map((b, i) => b.p99Ms - (floor[i]?.p99Ms ?? Number.NaN));
  const share = overheadP50.map((o, i) => o / (floor[i]?.p50Ms ?? Number.NaN));
  const summary = (runs: LegRun[]): LegRun => ({
    p50Ms: pick(runs, "p50Ms"),
    p99Ms: pick(runs, "p99Ms"),
    messagesPerSecond: pick(runs, "messagesPerSecond"),
    loadAverage: pick(runs, "loadAverage"),
  });
  return {
    bridged: summary(bridged),
    floor: summary(floor),
    overheadP50Ms: round(median(overheadP50)),
    overheadP99Ms: round(median(overheadP99)),
    overheadShare: round(median(share), 3),
  };
}

/**
 * The IRC servers measured, one after the other, each with the harness's configuration: connection limits and flood
 * penalties lifted (ngIRCd's would hold a connection that sends over 256 bytes in a second for a second; see the
 * bench notes), so that both the floor's IRC clients and the bridge's puppet are measured, not the server's defences.
 */
const SERVERS = [
  { label: "InspIRCd", create: (runDir: string) => InspircdServer.create({ runDir }) },
  { label: "ngIRCd", create: (runDir: string) => NgircdServer.create({ runDir }) },
] as const;

type Direction = "matrixToIrc" | "ircToMatrix";

export interface ServerSummary {
  server: string;
  directions: Record<Direction, DirectionSummary>;
  legRuns: Record<LegName, LegRun[]>;
}

export interface EndToEndResult {
  files: ResultFiles;
  servers: ServerSummary[];
}

/** Every leg, bridged and floor, measured `runs` times on one IRC server, all set up once and torn down after. */
async function measureOnServer(
  context: BenchContext,
  label: string,
  server: IrcServer,
  runDir: string,
  count: number,
): Promise<ServerSummary> {
  const cleanups: Cleanup[] = [];
  let failed = true;
  const legRuns: Record<LegName, LegRun[]> = {
    matrixToAppservice: [],
    appserviceToMatrix: [],
    ircToIrc: [],
    matrixToIrc: [],
    ircToMatrix: [],
  };
  try {
    await server.start();
    cleanups.push((failed) => server.destroy(failed));
    // Both set-ups stay up, and every run measures all the legs one after the other, so that a run's floor and its
    // bridged figures are taken under the same conditions.
    const legs = {
      ...(await floorLegs(runDir, server, cleanups)),
      ...(await bridgedLegs(runDir, server, cleanups)),
    };
    for (let i = 0; i < context.runs; i++) {
      for (const name of LEG_NAMES) {
        const run = await measureLeg(legs[name], `${name}-${i}`, count);
        legRuns[name].push(run);
        context.log(`end-to-end ${label} run ${i + 1}/${context.runs} ${name}: ${JSON.stringify(run)}`);
      }
    }
    failed = false;
  } finally {
    await runCleanups(cleanups, failed);
  }
  const floorOf = (first: LegRun[], second: LegRun[]) => first.map((run, i) => chain(run, second[i] ?? run));
  return {
    server: label,
    directions: {
      matrixToIrc: summarizeDirection(
        legRuns.matrixToIrc,
        floorOf(legRuns.matrixToAppservice, legRuns.ircToIrc),
      ),
      ircToMatrix: summarizeDirection(
        legRuns.ircToMatrix,
        floorOf(legRuns.ircToIrc, legRuns.appserviceToMatrix),
      ),
    },
    legRuns,
  };
}

export async function runEndToEndBenchmark(
  context: BenchContext,
  count = FULL_END_TO_END_MESSAGES,
): Promise<EndToEndResult> {
  const machine = describeMachine();
  const runDir = createRunDir("bench-end-to-end");
  const servers: ServerSummary[] = [];
  let failed = true;
  try {
    for (const { label, create } of SERVERS) {
      const dir = join(runDir.path, label.toLowerCase());
      servers.push(await measureOnServer(context, label, await create(dir), dir, count));
    }
    failed = false;
  } finally {
    runDir.finish(failed);
  }
  const rows = servers.flatMap(({ server, directions }) =>
    (["matrixToIrc", "ircToMatrix"] as const).map((key) => {
      const { bridged: b, floor: f, overheadP50Ms, overheadP99Ms, overheadShare } = directions[key];
      return [
        server,
        key === "matrixToIrc" ? "Matrix → IRC" : "IRC → Matrix",
        b.p50Ms,
        b.p99Ms,
        b.messagesPerSecond,
        f.p50Ms,
        f.p99Ms,
        f.messagesPerSecond,
        overheadP50Ms,
        overheadP99Ms,
        `${round(overheadShare * 100, 1)} %`,
        Math.max(b.loadAverage, f.loadAverage),
        overheadShare <= OVERHEAD_TARGET_SHARE_OF_FLOOR ? "met" : "missed",
      ];
    }),
  );
  const markdown = [
    "# End to end",
    "",
    `Real Synapse and IRC servers (InspIRCd, then ngIRCd) on loopback. ${count} messages each way per run, paced ` +
      "(each sent once the previous arrived) for latency, then a burst (sent one after another as fast as the sender " +
      "can) for the sustained rate. Bridged: a Matrix user in the portal of an IRC channel and an IRC user in the " +
      "channel (the Matrix user's own puppet connection carries their messages). Floor: the same Matrix user's " +
      "messages reaching an application service that only acknowledges them, such a service's bot writing to the " +
      "Matrix user, and one IRC client writing to another on the same IRC server; a direction's floor adds up its " +
      "two legs' latencies and takes the slower leg's rate. Each run measures every leg in turn, floor and bridged, " +
      `and compares them within the run; medians of ${context.runs} runs. Latencies include the Matrix client's own ` +
      "request and /sync. Both servers run with the harness's configuration: connection limits and flood penalties " +
      "lifted. Load: the median over runs of the machine's one-minute load average as each leg ended.",
    "",
    ...table(
      [
        "server",
        "direction",
        "bridged p50 ms",
        "bridged p99 ms",
        "bridged msg/s",
        "floor p50 ms",
        "floor p99 ms",
        "floor msg/s",
        "overhead p50 ms",
        "overhead p99 ms",
        "overhead p50 / floor p50",
        "load",
        `target ≤ ${OVERHEAD_TARGET_SHARE_OF_FLOOR * 100} %`,
      ],
      rows,
    ),
  ];
  const files = writeResult(
    context,
    "end-to-end",
    { machine: finishMachineNote(machine), messages: count, runs: context.runs, servers },
    markdown,
  );
  return { files, servers };
}
