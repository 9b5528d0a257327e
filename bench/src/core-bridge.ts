// bridge-core's Bridge as the ingest and start-up benchmarks run it: its real config shape, a fresh registration,
// the level store in a folder of the run, the no-op network, and the fake homeserver for the start-up ping.

import { join } from "node:path";
import {
  Bridge,
  type BridgeConfig,
  defaultKeyFile,
  generateRegistration,
  Logger,
  type NetworkPlugin,
  type Registration,
} from "bridge-core";
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
}): BridgeConfig {
  return {
    homeserver: { url: options.homeserverUrl, domain: BENCH_DOMAIN },
    appservice: {
      id: "bench",
      bindAddress: "127.0.0.1",
      port: 1,
      botUsername: "benchbot",
      maxBodyBytes: 10 * 1024 * 1024,
    },
    store: { path: options.storePath, sync: options.sync, keyFile: defaultKeyFile(options.storePath) },
    // Warnings only: writing a debug line per event would measure the log file, not the bridge.
    logging: { level: "warn" },
    network: { module: "bench", config: {} },
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
  network: NetworkPlugin;
}): Promise<CoreBridgeUnderTest> {
  const port = await freePort();
  const bridgeUrl = `http://127.0.0.1:${port}`;
  const registration = generateRegistration({
    id: "bench",
    url: bridgeUrl,
    senderLocalpart: "benchbot",
    domain: BENCH_DOMAIN,
    ghostTemplates: [options.network.info.ghostTemplate],
    aliasTemplates: [options.network.info.aliasTemplate],
    protocols: [options.network.info.id],
  });
  const homeserver = await startFakeHomeserver({ bridgeUrl, hsToken: registration.hs_token });
  const config = benchConfig({
    storePath: join(options.dir, "store"),
    sync: options.sync,
    homeserverUrl: homeserver.url,
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
