// bridge-core's Bridge as the ingest and start-up benchmarks run it: its real config shape, a fresh registration,
// the level store in a folder of the run, the no-op network, and the fake homeserver for the start-up ping.

import { join } from "node:path";
import type { NetworkFactory, NetworkInfo } from "bridge-core";
import {
  Bridge,
  type BridgeConfig,
  defaultKeyFile,
  generateRegistration,
  Logger,
  PG_DEFAULTS,
  type Registration,
} from "bridge-core/bridge";
import { freePort } from "../../test/harness/free-port.ts";
import { type FakeHomeserver, startFakeHomeserver } from "./fake-homeserver.ts";

export const BENCH_DOMAIN = "bench.test";

export interface CoreBridgeUnderTest {
  bridge: Bridge;
  registration: Registration;
  homeserver: FakeHomeserver;
  /** Where the application service API listens. */
  bridgeUrl: string;
  /** Milliseconds from constructing the bridge to its `start()` resolving. */
  startMs: number;
  stop(): Promise<void>;
}

export function benchConfig(options: {
  storePath: string;
  sync: boolean;
  homeserverUrl: string;
  /** The PostgreSQL store at this URL instead of LevelDB at `storePath` (whose key file it shares). */
  postgresUrl?: string;
  /** The plugin's settings (`network.config`). */
  networkConfig?: Record<string, unknown>;
}): BridgeConfig {
  const keyFile = defaultKeyFile(options.storePath);
  return {
    homeserver: { url: options.homeserverUrl, domain: BENCH_DOMAIN },
    appservice: {
      id: "bench",
      bindAddress: "127.0.0.1",
      port: 1,
      botUsername: "benchbot",
      maxBodyBytes: 10 * 1024 * 1024,
    },
    store:
      options.postgresUrl === undefined
        ? { type: "leveldb", path: options.storePath, sync: options.sync, keyFile }
        : {
            type: "postgres",
            path: "",
            sync: true,
            keyFile,
            postgres: { ...PG_DEFAULTS, url: options.postgresUrl },
          },
    // Warnings only: writing a debug line per event would measure the log file, not the bridge.
    logging: { level: "warn" },
    network: { module: "bench", config: options.networkConfig ?? {} },
    bridge: {
      commandPrefix: "!",
      permissions: { [BENCH_DOMAIN]: "user" },
      relayTemplate: "{displayname}: {message}",
      gapCheckSeconds: 30,
    },
    metrics: { enabled: true },
    media: { allowPrivateAddresses: false, linkLifetimeSeconds: 3600, maxBytes: 1024 * 1024 },
  };
}

export async function startCoreBridge(options: {
  dir: string;
  sync: boolean;
  network: NetworkFactory;
  /** The plugin's ids and templates, for the registration, which is written before the bridge makes the plugin. */
  info: Pick<NetworkInfo, "id" | "ghostTemplate" | "aliasTemplate">;
  networkConfig?: Record<string, unknown>;
  postgresUrl?: string;
}): Promise<CoreBridgeUnderTest> {
  const port = await freePort();
  const bridgeUrl = `http://127.0.0.1:${port}`;
  const registration = generateRegistration({
    id: "bench",
    url: bridgeUrl,
    senderLocalpart: "benchbot",
    domain: BENCH_DOMAIN,
    ghostTemplates: [options.info.ghostTemplate],
    aliasTemplates: [options.info.aliasTemplate],
    protocols: [options.info.id],
  });
  const homeserver = await startFakeHomeserver({ bridgeUrl, hsToken: registration.hs_token });
  const config = benchConfig({
    storePath: join(options.dir, "store"),
    sync: options.sync,
    homeserverUrl: homeserver.url,
    ...(options.networkConfig !== undefined && { networkConfig: options.networkConfig }),
    ...(options.postgresUrl !== undefined && { postgresUrl: options.postgresUrl }),
  });
  const started = performance.now();
  const bridge = new Bridge({
    config,
    registration,
    network: options.network,
    logger: Logger.create({ level: "warn" }),
    port,
  });
  try {
    await bridge.start();
  } catch (err) {
    await homeserver.close();
    throw err;
  }
  const startMs = performance.now() - started;
  return {
    bridge,
    registration,
    homeserver,
    bridgeUrl,
    startMs,
    async stop() {
      await bridge.stop();
      await homeserver.close();
    },
  };
}
