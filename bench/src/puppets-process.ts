// The process the puppets benchmark measures: a whole bridge (bridge-core with the IRC plugin, exactly as
// `network.module: bridge-irc` loads it) whose Matrix users each get their own IRC connection. Transactions come
// from this process itself over loopback HTTP, as a homeserver would send them, so that no homeserver's memory or
// CPU is mixed into the figures; the fake homeserver only answers the start-up ping. Prints one JSON line.
//
// Usage: node --expose-gc bench/src/puppets-process.ts <irc host> <irc port> <users> <channels> <store dir> <rate>
// (rate: the IRC plugin's puppets.connections_per_second)

import { type RoomId, remoteRoomId } from "bridge-core";
import createIrcNetwork from "bridge-irc";
import { BENCH_DOMAIN, startCoreBridge } from "./core-bridge.ts";
import { roomIdOf } from "./synthetic-stream.ts";

const EVENTS_PER_TRANSACTION = 100;

export interface PuppetsProcessResult {
  users: number;
  channels: number;
  connectAllMs: number;
  baseline: NodeJS.MemoryUsage;
  connected: NodeJS.MemoryUsage;
}

function collectedMemory(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined)
    throw new Error("run with --expose-gc, so memory is measured after a full collection");
  gc();
  gc();
  return process.memoryUsage();
}

const [host, portText, usersText, channelsText, dir, rateText] = process.argv.slice(2);
const users = Number(usersText);
const channels = Number(channelsText);
const rate = Number(rateText);
if (
  host === undefined ||
  dir === undefined ||
  !Number.isInteger(users) ||
  !Number.isInteger(channels) ||
  !(rate > 0)
) {
  throw new Error("usage: puppets-process.ts <irc host> <irc port> <users> <channels> <store dir> <rate>");
}
const under = await startCoreBridge({
  dir,
  sync: true,
  network: createIrcNetwork,
  // The IRC plugin's own ids and templates, for the registration written before the bridge makes the plugin.
  info: { id: "irc", ghostTemplate: "irc_{id}", aliasTemplate: "irc_{id}" },
  networkConfig: {
    server: { host, port: Number(portText), name: "Bench IRC" },
    bot: { nick: "BenchBridge" },
    puppets: { max_connections: users, connections_per_second: rate },
  },
});
try {
  for (let c = 0; c < channels; c++) {
    await under.bridge.store.putRoomLink({
      roomId: roomIdOf(c, BENCH_DOMAIN) as RoomId,
      remoteRoomId: remoteRoomId(`#puppets${c}`),
      kind: "portal",
      createdAt: Date.now(),
    });
  }
  const baseline = collectedMemory();
  const started = performance.now();
  // As a homeserver sends them: each user joins the portal (a user must be in a room to speak there), then speaks.
  const join = (u: number) => ({
    type: "m.room.member",
    room_id: roomIdOf(u % channels, BENCH_DOMAIN),
    sender: `@p${u}:${BENCH_DOMAIN}`,
    state_key: `@p${u}:${BENCH_DOMAIN}`,
    event_id: `$join-${u}`,
    origin_server_ts: Date.now(),
    content: { membership: "join" },
  });
  const message = (u: number) => ({
    type: "m.room.message",
    room_id: roomIdOf(u % channels, BENCH_DOMAIN),
    sender: `@p${u}:${BENCH_DOMAIN}`,
    event_id: `$puppet-${u}`,
    origin_server_ts: Date.now(),
    content: { msgtype: "m.text", body: `hello from p${u}` },
  });
  for (const [name, make] of [
    ["joins", join],
    ["messages", message],
  ] as const) {
    for (let first = 0; first < users; first += EVENTS_PER_TRANSACTION) {
      const events = [];
      for (let u = first; u < Math.min(users, first + EVENTS_PER_TRANSACTION); u++) events.push(make(u));
      const response = await fetch(`${under.bridgeUrl}/_matrix/app/v1/transactions/${name}-${first}`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${under.registration.hs_token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ events }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`transaction refused: ${response.status}`);
    }
  }
  // Each message is handed to the plugin once its sender's puppet is connected and in the channel.
  await under.bridge.queue.idle();
  const connectAllMs = performance.now() - started;
  const connected = collectedMemory();
  const result: PuppetsProcessResult = { users, channels, connectAllMs, baseline, connected };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await under.stop();
}
