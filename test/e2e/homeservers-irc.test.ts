// The IRC bridge's core scenarios on each supported homeserver (Synapse and Dendrite), with InspIRCd: the portal by
// alias, messages both ways, and a restart of the bridge and of the homeserver, each followed by messages both ways
// counted for loss, repeats and order. The full IRC suites (irc-bridge, irc-faults, …) run on Synapse.

import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { coreScenarios } from "../harness/core-scenarios.ts";
import { HOMESERVERS } from "../harness/homeserver.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const PUPPET = "alice[m]";

for (const homeserver of HOMESERVERS)
  describe(`IRC bridge with InspIRCd and ${homeserver}`, () => {
    const runDir = useRunDir(`homeservers-irc-${homeserver.toLowerCase()}`);
    let stack: BridgeStack<IrcNetwork>;
    let alice: TestClient;
    let carol: IrcTestClient;
    let room: RoomId;
    const ghost = (nick: string) => `@irc_${nick}:${stack.homeserver.serverName}`;

    before(async () => {
      const server = await InspircdServer.create({ runDir: runDir.path });
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
      runDir.addTeardown(() => carol.quit());
      await carol.join("#lobby");
      stack = await startIrcBridgeStack({ runDir: runDir.path, server, homeserver });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.homeserver, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
    });

    test("joining #irc_#lobby creates the portal; the bot joins the channel and IRC members get ghosts", async () => {
      room = await alice.join(`#irc_#lobby:${stack.homeserver.serverName}`);
      await carol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === "#lobby");
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.member" && e.state_key === ghost("carol") && e.content["membership"] === "join",
        { roomId: room },
      );
    });

    coreScenarios({
      network: "IRC",
      stack: () => stack,
      alice: () => alice,
      room: () => room,
      remoteGhost: () => ghost("carol"),
      sayRemote: async (body) => carol.say("#lobby", body),
      seenRemote: async () =>
        carol.events
          .filter((e) => e.type === "privmsg" && e.nick === PUPPET && e.target === "#lobby")
          .map((e) => String(e.message)),
    });
  });
