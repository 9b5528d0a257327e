// Faults in the middle of bursts, through the real stack: the bridge as admins run it (its CLI, in its own process),
// Synapse on SQLite, and an IRC server — InspIRCd with channel history, and ngIRCd, which has none. Each fault is
// followed by messages both ways, counted: lost, duplicated, order (every arrival counts, those the bridge found by
// reading the room back included).
// - The bridge killed with SIGKILL in the middle of a Matrix → IRC burst, a new process started. Matrix → IRC rests
//   on the inbox (a transaction is acknowledged only once stored) and on the IRC plugin checking, after a crash,
//   whether the message it was sending had reached the channel. Without channel history (ngIRCd) it cannot know: the
//   one message in flight may arrive twice, right after itself.
// - The same in the middle of an IRC → Matrix burst (InspIRCd only): the journal, and the channel's history replayed
//   when the bot joins again, deduplicated by msgid. Without history, what IRC said while the bridge was dead is
//   gone; no IRC bridge can recover it.
// - Synapse stopped for 10 s in the middle of an IRC burst and started again: the journal holds the lines; and Synapse
//   on SQLite numbers its transactions from 1 again, which must not stop Matrix → IRC.
// - The IRC server restarted: bot and puppet reconnect.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, type TestContext, test } from "node:test";
import type { RoomId } from "bridge-core";
import { BridgeProcess } from "../harness/bridge-process.ts";
import { type BridgeFiles, writeBridgeFiles } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { IRC_MODULE } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { NgircdServer } from "../harness/irc/ngircd.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { type StoreKind, storeConfig } from "../harness/store-matrix.ts";
import { Synapse } from "../harness/synapse.ts";
import { tally, until } from "../harness/tally.ts";

const CHANNEL = "#burst";
const ARRIVAL_TIMEOUT_MS = 180_000;
/** The bridge reads a room back this long after handling events in it (`gap_check_seconds`). */
const GAP_CHECK_SECONDS = 2;
/** Messages each way after every fault. */
const AFTER_FAULT = 20;

interface ServerUnderTest {
  software: string;
  history: boolean;
  /** Messages in a burst; the bridge is killed once a third of them crossed. */
  burst: number;
  create(runDir: string): Promise<IrcServer>;
}

const SERVERS: ServerUnderTest[] = [
  {
    software: "InspIRCd",
    history: true,
    burst: 2_000,
    create: (runDir) =>
      InspircdServer.create({
        runDir,
        options: { extraModules: ["chanhistory"], extraConfig: '<chanhistory maxlines="5000" bots="yes">' },
      }),
  },
  { software: "ngIRCd", history: false, burst: 300, create: (runDir) => NgircdServer.create({ runDir }) },
];

// The InspIRCd variant (2,000-message bursts, both directions) runs on LevelDB; the shorter ngIRCd one on both stores,
// so a SIGKILL in the middle of a burst is also proven with the inbox and journal in PostgreSQL.
const VARIANTS: { irc: ServerUnderTest; store: StoreKind }[] = [
  ...SERVERS.map((irc) => ({ irc, store: "LevelDB" as const })),
  ...SERVERS.filter((irc) => irc.software === "ngIRCd").map((irc) => ({ irc, store: "PostgreSQL" as const })),
];

for (const { irc, store } of VARIANTS)
  describe(`faults in the middle of bursts: bridge killed, Synapse and ${irc.software} restarted, on ${store}`, () => {
    const runDir = useRunDir(`irc-faults-${irc.software.toLowerCase()}-${store.toLowerCase()}`);
    let synapse: Synapse;
    let server: IrcServer;
    let files: BridgeFiles;
    let bridge: BridgeProcess;
    let alice: TestClient;
    let carol: IrcTestClient;
    let room: RoomId;
    const processes: BridgeProcess[] = [];
    const ghost = (nick: string) => `@irc_${nick}:${synapse.serverName}`;
    const puppetNick = "alice[m]";
    const killAfter = Math.floor(irc.burst / 3);

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
    /** What the puppet said in the channel, in the order carol saw it. */
    const onIrc = () =>
      carol.events
        .filter((e) => e.type === "privmsg" && e.nick === puppetNick && e.target === CHANNEL)
        .map((e) => String(e.message));
    /** What carol's ghost said in the room, in the order alice saw it. */
    const onMatrix = () =>
      alice
        .eventsSeen(room)
        .filter((e) => e.type === "m.room.message" && e.sender === ghost("carol"))
        .map((e) => String(e.content["body"]));
    /** Lets the bridge's read-back of the room (and anything it would wrongly send again) happen before counting. */
    const settle = () => new Promise((resolve) => setTimeout(resolve, 3 * GAP_CHECK_SECONDS * 1000));

    /** After a fault: messages from Matrix, then from IRC, each counted on the other side. */
    const bothWays = async (t: TestContext, after: string) => {
      const toIrc = Array.from({ length: AFTER_FAULT }, (_, i) => `matrix after ${after} ${i}`);
      for (const body of toIrc) await alice.sendText(room, body);
      await until(() => onIrc().includes(toIrc.at(-1)!), `Matrix → IRC after ${after}`, 60_000);
      const toMatrix = Array.from({ length: AFTER_FAULT }, (_, i) => `irc after ${after} ${i}`);
      for (const body of toMatrix) carol.say(CHANNEL, body);
      await until(() => onMatrix().includes(toMatrix.at(-1)!), `IRC → Matrix after ${after}`, 60_000);
      await settle();
      tally(t, `Matrix → IRC after ${after}`, toIrc, onIrc());
      tally(t, `IRC → Matrix after ${after}`, toMatrix, onMatrix());
    };
    const connectCarol = async () => {
      carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
      await carol.join(CHANNEL);
    };

    before(async () => {
      const dir = runDir.path;
      server = await irc.create(dir);
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      await connectCarol();
      runDir.addTeardown(() => carol.quit());
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
            ...(irc.history && { channel_history: { set_mode: "5000:1d" } }),
          },
        },
        // Soon, so that the read-back of rooms happens within the tests.
        extraConfig: {
          bridge: { gap_check_seconds: GAP_CHECK_SECONDS },
          ...(await storeConfig(store, runDir, "irc")),
        },
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
      if (irc.history) {
        // The bot sets channel history once it is an operator; the history brings lines said while it was dead.
        carol.raw(`MODE ${CHANNEL} +o MatrixBridge`);
        await carol.waitFor(
          (e) => e.type === "mode" && e.nick === "MatrixBridge" && e.modes?.[0] === "+H",
          10_000,
          { description: "the bot setting +H" },
        );
      }
      // The puppet connects on the first message; the burst starts with it in the channel.
      await alice.sendText(room, "hello before the burst");
      await carol.waitFor(
        (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "hello before the burst",
      );
    });

    test(`Matrix → IRC: ${irc.burst} messages, the bridge killed after ${killAfter} reached IRC; then both ways`, async (t) => {
      const sent = Array.from({ length: irc.burst }, (_, i) => `to irc ${String(i).padStart(4, "0")}`);
      let killed: Promise<void> | undefined;
      for (const body of sent) {
        await alice.sendText(room, body);
        if (killed === undefined && onIrc().length > killAfter) killed = killAndRestart();
      }
      if (killed === undefined) {
        await until(() => onIrc().length > killAfter, `${killAfter} messages on IRC`, ARRIVAL_TIMEOUT_MS);
        killed = killAndRestart();
      }
      await killed;
      const everyOne = () => {
        const seen = new Set(onIrc());
        return sent.every((body) => seen.has(body));
      };
      // Counted even when some never came: the tally says which.
      await until(everyOne, "every message", ARRIVAL_TIMEOUT_MS).catch(() => undefined);
      await settle();
      const recovered = readFileSync(files.logPath, "utf8")
        .split("\n")
        .filter((line) => line.includes("recovered an event the homeserver never delivered"));
      t.diagnostic(
        `events the homeserver never delivered, found by reading the room back: ${recovered.length}`,
      );
      // With channel history the plugin sees what reached the channel before the crash and sends only the rest.
      tally(t, "Matrix → IRC across a SIGKILL", sent, onIrc(), { inFlightRepeats: irc.history ? 0 : 1 });
      await bothWays(t, "the bridge was killed");
    });

    if (irc.history)
      test(`IRC → Matrix: ${irc.burst} lines, the bridge killed after ${killAfter} reached Matrix; then both ways`, async (t) => {
        const sent = Array.from({ length: irc.burst }, (_, i) => `to matrix ${String(i).padStart(4, "0")}`);
        for (const body of sent) carol.say(CHANNEL, body);
        await until(() => onMatrix().length > killAfter, `${killAfter} lines on Matrix`, ARRIVAL_TIMEOUT_MS);
        await killAndRestart();
        await until(() => onMatrix().includes(sent.at(-1)!), "the burst's last line", ARRIVAL_TIMEOUT_MS);
        await settle();
        tally(t, "IRC → Matrix across a SIGKILL", sent, onMatrix());
        await bothWays(t, "the bridge was killed again");
      });

    test("Synapse stopped for 10 s in the middle of an IRC burst and started again; then both ways", async (t) => {
      const sent = Array.from({ length: 300 }, (_, i) => `during the outage ${String(i).padStart(3, "0")}`);
      const third = Math.floor(sent.length / 3);
      for (const body of sent.slice(0, third)) carol.say(CHANNEL, body);
      await synapse.stop();
      const stoppedAt = Date.now();
      for (const body of sent.slice(third, 2 * third)) carol.say(CHANNEL, body);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
      await synapse.start();
      for (const body of sent.slice(2 * third)) carol.say(CHANNEL, body);
      await until(() => onMatrix().includes(sent.at(-1)!), "the burst's last line", ARRIVAL_TIMEOUT_MS);
      tally(t, "IRC → Matrix through a Synapse outage", sent, onMatrix());
      // Synapse on SQLite numbers application service transactions from 1 again after a restart.
      await bothWays(t, "Synapse restarted");
    });

    test(`${irc.software} restarted: the bot and the puppet come back; then both ways`, async (t) => {
      await server.restart();
      await connectCarol();
      await eventually(async () => {
        const users = await carol.names(CHANNEL);
        if (!users.includes("MatrixBridge") || !users.includes(puppetNick))
          throw new Error(`in ${CHANNEL}: ${users.join(" ")}`);
      }, 60_000);
      await bothWays(t, `${irc.software} restarted`);
    });
  });
