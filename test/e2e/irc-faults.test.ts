// The bridge killed with SIGKILL in the middle of a 2,000-message burst, each way, through the real stack: the bridge
// as admins run it (its CLI, in its own process), InspIRCd with channel history, and Synapse. Nothing may be lost and
// nothing repeated: Matrix → IRC rests on the inbox (a transaction is acknowledged only once stored) and on the
// plugin checking, after a crash, whether the line it was sending when it died had reached the channel; IRC → Matrix
// rests on the journal and on the channel's history, replayed when the bot joins again, deduplicated by msgid. Then
// Synapse itself is stopped for 10 s in the middle of a burst from IRC, which the journal holds until it is back.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import type { RoomId } from "bridge-core";
import { BridgeProcess } from "../harness/bridge-process.ts";
import { type BridgeFiles, writeBridgeFiles } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { IRC_MODULE } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { Synapse } from "../harness/synapse.ts";

const CHANNEL = "#burst";
const BURST = 2_000;
/** The bridge is killed once this many messages of a burst have crossed. */
const KILL_AFTER = 600;
const ARRIVAL_TIMEOUT_MS = 180_000;
/** Lines of the burst during which Synapse is stopped: a third before, a third while it is down, a third after. */
const OUTAGE_BURST = 600;

/** Waits until `condition` holds, polling: the counts it reads grow as the test clients receive. */
async function until(condition: () => boolean, what: string, timeoutMs = ARRIVAL_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Prints sent, arrived, lost and duplicated, and checks that nothing was lost or repeated and the order was kept.
 * `late` names messages the bridge found by reading the room's timeline back because the homeserver never delivered
 * them: Synapse's application service scheduler can strand a transaction it makes while it still counts the bridge
 * as down, just as the bridge comes back. Those must arrive too, but after later ones.
 */
function tally(t: TestContext, sent: string[], arrived: string[], late: (body: string) => boolean) {
  const sentSet = new Set(sent);
  const ours = arrived.filter((body) => sentSet.has(body));
  const unique = new Set(ours);
  const missing = sent.filter((body) => !unique.has(body));
  const duplicated = ours.length - unique.size;
  const recovered = sent.filter(late);
  t.diagnostic(
    `sent ${sent.length}, arrived ${unique.size}, lost ${missing.length}, duplicated ${duplicated}` +
      (recovered.length > 0
        ? `; never delivered by the homeserver, recovered late: ${recovered.join(", ")}`
        : ""),
  );
  if (missing.length > 0) t.diagnostic(`lost: ${missing.slice(0, 10).join(", ")}`);
  const twice = ours.filter((body, i) => ours.indexOf(body) !== i);
  if (twice.length > 0) t.diagnostic(`duplicated: ${twice.slice(0, 10).join(", ")}`);
  assert.equal(missing.length, 0, "lost");
  assert.equal(duplicated, 0, "duplicated");
  const inOrder = (bodies: string[]) => bodies.filter((body) => !recovered.includes(body));
  assert.deepEqual(inOrder(ours), inOrder(sent), "in order");
}

describe("faults in the middle of bursts: the bridge process killed, Synapse stopped (InspIRCd, Synapse)", () => {
  const runDir = useRunDir("irc-faults");
  let synapse: Synapse;
  let server: InspircdServer;
  let files: BridgeFiles;
  let bridge: BridgeProcess;
  let alice: TestClient;
  let carol: IrcTestClient;
  let room: RoomId;
  const processes: BridgeProcess[] = [];
  const ghost = (nick: string) => `@irc_${nick}:${synapse.serverName}`;
  const puppetNick = "alice[m]";

  const startBridge = async () => {
    bridge = new BridgeProcess(
      ["-c", files.configPath, "-f", files.registrationPath],
      join(runDir.path, "bridge-processes.log"),
    );
    processes.push(bridge);
    await bridge.waitForOutput(/Bridge running/, 60_000);
  };
  const killAndRestart = async () => {
    process.kill(bridge.pid, "SIGKILL");
    await bridge.waitForExit();
    await startBridge();
  };

  before(async () => {
    const dir = runDir.path;
    server = await InspircdServer.create({
      runDir: dir,
      options: { extraModules: ["chanhistory"], extraConfig: '<chanhistory maxlines="5000" bots="yes">' },
    });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join(CHANNEL);
    synapse = await Synapse.create({
      runDir: dir,
      appserviceRegistrationFiles: [join(dir, "irc.registration.yaml")],
    });
    runDir.addTeardown((failed) => synapse.destroy(failed));
    files = await writeBridgeFiles({
      dir,
      synapseUrl: synapse.url,
      serverName: synapse.serverName,
      id: "irc",
      ghostTemplate: "irc_{id}",
      plugin: {
        module: IRC_MODULE,
        config: {
          server: { host: server.host, port: server.port, name: "Test IRC" },
          bot: { nick: "MatrixBridge" },
          channel_history: { set_mode: "5000:1d" },
        },
      },
      // Soon enough that a message the homeserver never delivered is found before the test counts.
      extraConfig: { bridge: { gap_check_seconds: 2 } },
    });
    await synapse.start();
    runDir.addTeardown(async () => {
      for (const p of processes) await p.stop();
    });
    await startBridge();
    alice = await registerUser(synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    room = await alice.join(`#irc_${CHANNEL}:${synapse.serverName}`);
    await carol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === CHANNEL);
    // The bot sets channel history once it is an operator; the history is what brings lines said while it was dead.
    carol.raw(`MODE ${CHANNEL} +o MatrixBridge`);
    await carol.waitFor(
      (e) => e.type === "mode" && e.nick === "MatrixBridge" && e.modes?.[0] === "+H",
      10_000,
      {
        description: "the bot setting +H",
      },
    );
    // The puppet connects on the first message; the burst starts with it in the channel.
    await alice.sendText(room, "hello before the burst");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "hello before the burst",
    );
  });

  test("Matrix → IRC: 2,000 messages, the bridge killed after 600 reached IRC, every one arrives once, in order", async (t) => {
    const sent = Array.from({ length: BURST }, (_, i) => `to irc ${String(i).padStart(4, "0")}`);
    const arrived = () =>
      carol.events
        .filter((e) => e.type === "privmsg" && e.nick === puppetNick && e.target === CHANNEL)
        .map((e) => String(e.message));
    const eventIds = new Map<string, string>();
    let killed: Promise<void> | undefined;
    for (const body of sent) {
      eventIds.set(body, await alice.sendText(room, body));
      if (killed === undefined && arrived().length > KILL_AFTER) killed = killAndRestart();
    }
    if (killed === undefined) {
      await until(() => arrived().length > KILL_AFTER, `${KILL_AFTER} messages on IRC`);
      killed = killAndRestart();
    }
    await killed;
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === sent.at(-1),
      ARRIVAL_TIMEOUT_MS,
      {
        description: "the burst's last message",
      },
    );
    // Anything the restart would wrongly send again has had time to arrive behind a marker.
    await alice.sendText(room, "after the burst");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "after the burst",
      30_000,
    );
    // A message the homeserver never delivered is found by reading the room back, a gap check (2 s) later.
    await until(() => new Set(arrived()).size >= sent.length, "every message", 10_000).catch(() => undefined);
    writeFileSync(
      join(runDir.path, "carol-received.json"),
      JSON.stringify(carol.events.filter((e) => e.type === "privmsg")),
    );
    const recovered = readFileSync(files.logPath, "utf8")
      .split("\n")
      .filter((line) => line.includes("recovered an event the homeserver never delivered"));
    tally(t, sent, arrived(), (body) => recovered.some((line) => line.includes(`"${eventIds.get(body)}"`)));
  });

  test("IRC → Matrix: 2,000 lines, the bridge killed after 600 reached Matrix, every one arrives once, in order", async (t) => {
    const sent = Array.from({ length: BURST }, (_, i) => `to matrix ${String(i).padStart(4, "0")}`);
    const arrived = () =>
      alice
        .eventsSeen(room)
        .filter((e) => e.type === "m.room.message" && e.sender === ghost("carol"))
        .map((e) => String(e.content["body"]));
    for (const body of sent) carol.say(CHANNEL, body);
    await until(() => arrived().length > KILL_AFTER, `${KILL_AFTER} messages on Matrix`);
    await killAndRestart();
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === sent.at(-1), {
      roomId: room,
      timeoutMs: ARRIVAL_TIMEOUT_MS,
    });
    carol.say(CHANNEL, "after the burst");
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === "after the burst", {
      roomId: room,
      timeoutMs: 30_000,
    });
    tally(t, sent, arrived(), () => false);
  });

  test("IRC → Matrix with Synapse stopped for 10 s in the middle of a burst: every line arrives once it is back", async (t) => {
    const sent = Array.from(
      { length: OUTAGE_BURST },
      (_, i) => `during the outage ${String(i).padStart(3, "0")}`,
    );
    const arrived = () =>
      alice
        .eventsSeen(room)
        .filter((e) => e.type === "m.room.message" && e.sender === ghost("carol"))
        .map((e) => String(e.content["body"]));
    const third = Math.floor(OUTAGE_BURST / 3);
    for (const body of sent.slice(0, third)) carol.say(CHANNEL, body);
    await synapse.stop();
    const stoppedAt = Date.now();
    for (const body of sent.slice(third, 2 * third)) carol.say(CHANNEL, body);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
    await synapse.start();
    for (const body of sent.slice(2 * third)) carol.say(CHANNEL, body);
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === sent.at(-1), {
      roomId: room,
      timeoutMs: ARRIVAL_TIMEOUT_MS,
    });
    tally(t, sent, arrived(), () => false);
  });
});
