// The two receivers the ingest benchmark feeds the same streams: bridge-core's Bridge with the no-op network, and
// matrix-appservice-bridge with a no-op `onEvent`. Each is started fresh, warmed up with a short stream of its own,
// then measured twice: on the full stream sent as fast as it is acknowledged (throughput, and latency including the
// backlog that builds up), and on single-event transactions each sent once the previous one was handled (the
// pipeline's own latency).

import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { plainText, type RoomId, remoteRoomId } from "bridge-core";
import { freePort } from "../../test/harness/free-port.ts";
import { loadAppserviceBridge } from "./appservice-bridge-loader.ts";
import { BENCH_DOMAIN, startCoreBridge } from "./core-bridge.ts";
import type { FakeHomeserver } from "./fake-homeserver.ts";
import { startFakeHomeserver } from "./fake-homeserver.ts";
import { type StageBreakdown, StageRecorder } from "./ingest-stages.ts";
import { NOOP_NETWORK_INFO, noopNetwork } from "./noop-network.ts";
import { makeStream, roomIdOf, StreamMeasurement, type StreamShape } from "./synthetic-stream.ts";

export interface IngestShape extends StreamShape {
  /** Single-event transactions of the paced measurement. */
  pacedTransactions: number;
}

export interface IngestRun {
  eventsPerSecond: number;
  latenciesMs: number[];
  pacedLatenciesMs: number[];
  /** Requests the receiver made to the homeserver while handling the streams (none are expected). */
  homeserverRequests: number;
  /** bridge-core's time per stage, on one more full stream timed stage by stage (ingest-stages.ts). */
  stages?: StageBreakdown;
}

const WARM_UP_TRANSACTIONS = 10;
const DELIVERY_TIMEOUT_MS = 120_000;

/** A receiver listening for transactions; `seen` is what its handler calls with each event's body. */
interface Receiver {
  url: string;
  hsToken: string;
  homeserver: FakeHomeserver;
  /** Resolves once everything handed to the handler is finished (bridge-core's queue), where the receiver knows. */
  idle(): Promise<void>;
  /** Times the stages of one more full stream, where the receiver is bridge-core. */
  stages?: StageRecorder;
}

async function measure(
  receiver: Receiver,
  shape: IngestShape,
  label: string,
  setMeasurement: (measurement: StreamMeasurement) => void,
): Promise<IngestRun> {
  const send = async (streamShape: StreamShape, streamLabel: string, paced: boolean, timed = false) => {
    const measurement = new StreamMeasurement(streamShape.transactions * streamShape.eventsPerTransaction);
    setMeasurement(measurement);
    if (timed) receiver.stages?.start(measurement);
    const stream = makeStream(streamShape, BENCH_DOMAIN, streamLabel);
    const result = await measurement.run(
      receiver.url,
      receiver.hsToken,
      stream,
      DELIVERY_TIMEOUT_MS,
      paced ? { eventsPerTransaction: streamShape.eventsPerTransaction } : undefined,
    );
    await receiver.idle();
    return result;
  };
  await send(
    { ...shape, transactions: Math.min(WARM_UP_TRANSACTIONS, shape.transactions) },
    `${label}w`,
    false,
  );
  const before = countRequests(receiver.homeserver.otherRequests);
  const full = await send(shape, label, false);
  const paced = await send(
    { ...shape, transactions: shape.pacedTransactions, eventsPerTransaction: 1 },
    `${label}p`,
    true,
  );
  const homeserverRequests = countRequests(receiver.homeserver.otherRequests) - before;
  let stages: StageBreakdown | undefined;
  if (receiver.stages !== undefined) {
    await send(shape, `${label}t`, false, true);
    stages = receiver.stages.finish();
  }
  return {
    eventsPerSecond: full.eventsPerSecond,
    latenciesMs: full.latenciesMs,
    pacedLatenciesMs: paced.latenciesMs,
    homeserverRequests,
    ...(stages !== undefined && { stages }),
  };
}

function countRequests(requests: Map<string, number>): number {
  let n = 0;
  for (const count of requests.values()) n += count;
  return n;
}

/** bridge-core on a fresh store in `dir`, with `sync` as the store's fsync setting and every stream room a portal. */
export async function runCoreIngest(options: {
  dir: string;
  shape: IngestShape;
  sync: boolean;
  label: string;
  /** On the PostgreSQL store at this URL (a fresh database) instead of LevelDB. */
  postgresUrl?: string;
}): Promise<IngestRun> {
  let measurement: StreamMeasurement | null = null;
  const stages = new StageRecorder();
  const network = noopNetwork((message) => {
    stages.atPlugin(message.eventId);
    measurement?.seen(plainText(message.text));
  });
  mkdirSync(options.dir, { recursive: true });
  const { dir, sync, postgresUrl } = options;
  const under = await startCoreBridge({
    dir,
    sync,
    network,
    info: NOOP_NETWORK_INFO,
    ...(postgresUrl !== undefined && { postgresUrl }),
  });
  try {
    for (let r = 0; r < options.shape.rooms; r++) {
      await under.bridge.store.putRoomLink({
        roomId: roomIdOf(r, BENCH_DOMAIN) as RoomId,
        remoteRoomId: remoteRoomId(`#room${r}`),
        kind: "portal",
        createdAt: Date.now(),
      });
    }
    const receiver: Receiver = {
      url: under.bridgeUrl,
      hsToken: under.registration.hs_token,
      homeserver: under.homeserver,
      idle: () => under.bridge.queue.idle(),
      stages,
    };
    stages.attach(under.bridge);
    return await measure(receiver, options.shape, options.label, (m) => {
      measurement = m;
    });
  } finally {
    await under.stop();
  }
}

/**
 * The floor: a plain `node:http` server that reads each transaction, parses it, hands every event to the
 * measurement and answers 200, with nothing stored and no framework. What the same stream costs the sender, HTTP and
 * JSON alone: no receiver can go faster, so its rate over matrix-appservice-bridge's bounds any receiver's ratio.
 */
export async function runFloorIngest(options: { shape: IngestShape; label: string }): Promise<IngestRun> {
  let measurement: StreamMeasurement | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        events: { content: { body?: unknown } }[];
      };
      for (const event of body.events) measurement?.seen(event.content.body);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${port}`;
  const homeserver = await startFakeHomeserver({ bridgeUrl: url, hsToken: "floor" });
  try {
    const receiver: Receiver = { url, hsToken: "floor", homeserver, idle: async () => undefined };
    return await measure(receiver, options.shape, options.label, (m) => {
      measurement = m;
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await homeserver.close();
  }
}

let appserviceBridgeLoggingQuiet = false;

/** matrix-appservice-bridge with its default queue, no stores, and an `onEvent` that only notes the event. */
export async function runAppserviceBridgeIngest(options: {
  shape: IngestShape;
  label: string;
}): Promise<IngestRun> {
  const {
    AppServiceRegistration,
    Bridge: AppserviceBridge,
    Logger: AppserviceBridgeLogger,
  } = await loadAppserviceBridge();
  if (!appserviceBridgeLoggingQuiet) {
    // Warnings only, as for bridge-core: a log line per request would measure the console.
    AppserviceBridgeLogger.configure({ console: "warn" });
    appserviceBridgeLoggingQuiet = true;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const registration = new AppServiceRegistration(url);
  const hsToken = AppServiceRegistration.generateToken();
  registration.setId("bench-mab");
  registration.setHomeserverToken(hsToken);
  registration.setAppServiceToken(AppServiceRegistration.generateToken());
  registration.setSenderLocalpart("benchbot");
  registration.addRegexPattern("users", `@bench_.*:${BENCH_DOMAIN}`, true);
  const homeserver = await startFakeHomeserver({ bridgeUrl: url, hsToken });
  let measurement: StreamMeasurement | null = null;
  const bridge = new AppserviceBridge({
    homeserverUrl: homeserver.url,
    domain: BENCH_DOMAIN,
    registration,
    // Its default stores are nedb files, and nedb calls util.isDate, which Node removed in version 23: without
    // stores (and so without the per-event context lookups in them) is how it runs on current Node. That leaves it
    // less work per event than the bridge-core side, which reads and writes its store for every event.
    disableStores: true,
    controller: {
      onEvent: (request) => {
        const event = request.getData();
        measurement?.seen((event.content as { body?: unknown } | undefined)?.body);
        request.resolve(undefined);
      },
      onLog: () => undefined,
    },
  });
  try {
    await bridge.run(port, undefined, "127.0.0.1");
    const receiver: Receiver = { url, hsToken, homeserver, idle: async () => undefined };
    return await measure(receiver, options.shape, options.label, (m) => {
      measurement = m;
    });
  } finally {
    await bridge.close();
    await homeserver.close();
  }
}
