// What IRC users say while the bridge is down reaches Matrix after it is back: InspIRCd's chanhistory replays the
// channel's recent lines (+H, which the bot sets once it is an operator) when the bot joins again, with their
// original msgid, so the bridge delivers what it missed once each and in order, and skips what it had already
// bridged, its own users' lines included.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const CHANNEL = "#hist";
const HISTORY_MODE = "200:1d";
const WHILE_DOWN = 50;

describe("IRC channel history fills in what was said while the bridge was down", () => {
  const runDir = useRunDir("irc-history");
  let server: InspircdServer;
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let carol: IrcTestClient;
  let room: RoomId;
  const ghost = (nick: string) => `@irc_${nick}:${stack.synapse.serverName}`;
  const puppetNick = "alice[m]";
  /** Bodies of carol's messages as they arrived on Matrix, in timeline order. */
  const fromCarol = () =>
    alice
      .eventsSeen(room)
      .filter((e) => e.type === "m.room.message" && e.sender === ghost("carol"))
      .map((e) => String(e.content["body"]));

  before(async () => {
    server = await InspircdServer.create({
      runDir: runDir.path,
      // Room for more lines than the test sends (the module keeps 50 unless told).
      options: { extraModules: ["chanhistory"], extraConfig: '<chanhistory maxlines="500" bots="yes">' },
    });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join(CHANNEL);
    stack = await startIrcBridgeStack({
      runDir: runDir.path,
      server,
      settings: { channel_history: { set_mode: HISTORY_MODE } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("the bot sets channel history once it is an operator in a bridged channel", async () => {
    room = await alice.join(`#irc_${CHANNEL}:${stack.synapse.serverName}`);
    await carol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === CHANNEL);
    carol.raw(`MODE ${CHANNEL} +o MatrixBridge`);
    const mode = await carol.waitFor(
      (e) => e.type === "mode" && e.nick === "MatrixBridge" && e.modes?.[0] === "+H",
      10_000,
      { description: "the bot setting +H" },
    );
    assert.deepEqual(mode.modes, ["+H", HISTORY_MODE]);
  });

  test("after a restart, what IRC said meanwhile arrives once each, in order, and nothing earlier twice", async (t) => {
    const before = Array.from({ length: 5 }, (_, i) => `before the restart ${i}`);
    for (const body of before) carol.say(CHANNEL, body);
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === before.at(-1), {
      roomId: room,
    });
    // A line of the Matrix user's own, said through their puppet: in the replay too, and already on Matrix.
    await alice.sendText(room, "from matrix before the restart");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "from matrix before the restart",
    );
    assert.deepEqual(fromCarol(), before);

    // restartBridge stops the bridge and starts it again at once; the messages go out in between, once the bot
    // has left IRC, so that only the channel's history can bring them to the new bridge.
    const sent = Array.from({ length: WHILE_DOWN }, (_, i) => `while the bridge was down ${i}`);
    const network = stack.network;
    const stopNetwork = network.stop.bind(network);
    const quitsBefore = carol.eventCount;
    // The restarted bridge makes a new plugin, which knows none of the old one's puppets' nicks.
    network.stop = async () => {
      await stopNetwork();
      await carol.waitFor((e) => e.type === "quit" && e.nick === "MatrixBridge", 10_000, {
        since: quitsBefore,
        description: "the bot quitting",
      });
      for (const body of sent) carol.say(CHANNEL, body);
      // The server answers a PING after every line before it, so the messages are in the history by then.
      await new Promise<void>((resolve) => {
        carol.client.on("pong", (e) => {
          if (e["message"] === "all-sent") resolve();
        });
        carol.raw("PING :all-sent");
      });
    };
    await stack.restartBridge();
    await carol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge", 20_000, {
      since: quitsBefore,
      description: "the bot back in the channel",
    });
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === sent.at(-1), {
      roomId: room,
      timeoutMs: 60_000,
    });
    // Anything else the replay would wrongly bring has had time to arrive behind the last line.
    carol.say(CHANNEL, "after the restart");
    await alice.waitForEvent(
      (e) => e.sender === ghost("carol") && e.content["body"] === "after the restart",
      {
        roomId: room,
      },
    );

    const got = fromCarol();
    const arrived = got.filter((body) => sent.includes(body));
    const lost = sent.filter((body) => !arrived.includes(body)).length;
    const duplicated = arrived.length - new Set(arrived).size;
    t.diagnostic(`sent ${sent.length}, arrived ${arrived.length}, lost ${lost}, duplicated ${duplicated}`);
    assert.deepEqual(
      got,
      [...before, ...sent, "after the restart"],
      "once each, in order, nothing earlier again",
    );
    const ownLine = alice
      .eventsSeen(room)
      .filter((e) => e.type === "m.room.message" && e.content["body"] === "from matrix before the restart");
    assert.deepEqual(
      ownLine.map((e) => e.sender),
      [alice.userId],
      "the Matrix user's own line is not bridged back from the replay",
    );
  });
});
