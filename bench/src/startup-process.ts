// One start of the bridge in a process of its own, as an operator starts it: prints, as one JSON line, how long the
// bridge took from `new Bridge` to ready and how long since the process itself began (Node's own start and loading
// the bridge's code included), then stops it.
//
// Usage: node bench/src/startup-process.ts <dir holding the store> <expected linked rooms> [<postgres url>]

import { startCoreBridge } from "./core-bridge.ts";
import { NOOP_NETWORK_INFO, type NoopNetwork, noopNetwork } from "./noop-network.ts";

export interface StartupProcessResult {
  /** From constructing the bridge to `start()` resolving. */
  startMs: number;
  /** From the process starting to `start()` resolving. */
  sinceProcessStartMs: number;
}

const [dir, roomsText, postgresUrl] = process.argv.slice(2);
if (dir === undefined || !Number.isInteger(Number(roomsText))) {
  throw new Error("usage: startup-process.ts <dir holding the store> <expected linked rooms>");
}
const under = await startCoreBridge({
  dir,
  sync: true,
  network: noopNetwork(),
  info: NOOP_NETWORK_INFO,
  ...(postgresUrl !== undefined && { postgresUrl }),
});
// performance.now() counts from the process's start.
const result: StartupProcessResult = { startMs: under.startMs, sinceProcessStartMs: performance.now() };
const network = under.bridge.network as NoopNetwork;
await under.stop();
if (network.linkedRoomsAtStart !== Number(roomsText)) {
  throw new Error(`the bridge reported ${network.linkedRoomsAtStart} linked rooms, not ${roomsText}`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
