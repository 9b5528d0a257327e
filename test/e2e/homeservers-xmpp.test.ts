// The XMPP bridge's core scenarios on each supported homeserver (Synapse and Dendrite), with Prosody: the portal by
// alias, messages both ways, and a restart of the bridge and of the homeserver, each followed by messages both ways
// counted for loss, repeats and order. The full XMPP suites (xmpp-bridge, xmpp-features, …) run on Synapse.

import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import { fillTemplate } from "bridge-core/bridge";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { coreScenarios } from "../harness/core-scenarios.ts";
import { HOMESERVERS } from "../harness/homeserver.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { ProsodyServer } from "../harness/xmpp/prosody.ts";
import { startXmppBridgeStack } from "../harness/xmpp/xmpp-bridge-stack.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";

for (const homeserver of HOMESERVERS)
  describe(`XMPP bridge with Prosody and ${homeserver}`, () => {
    const runDir = useRunDir(`homeservers-xmpp-${homeserver.toLowerCase()}`);
    let stack: BridgeStack<XmppNetwork>;
    let alice: TestClient;
    let carol: XmppTestClient;
    let room: RoomId;
    let lobby: string;
    let mucDomain: string;
    const carolGhost = () => `@${fillTemplate("xmpp_{id}", `${lobby}/carol`)}:${stack.homeserver.serverName}`;

    before(async () => {
      const server = await ProsodyServer.create({ runDir: runDir.path });
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      mucDomain = server.mucDomain;
      lobby = `lobby@${mucDomain}`;
      carol = await XmppTestClient.connect(server, "carol");
      runDir.addTeardown(() => carol.close());
      await carol.joinRoom(lobby, "carol");
      stack = await startXmppBridgeStack({ runDir: runDir.path, server, homeserver });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.homeserver, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
    });

    test("joining #xmpp_lobby_<muc> creates the portal; the bridge joins the MUC and its members get ghosts", async () => {
      room = await alice.join(`#xmpp_lobby_${mucDomain}:${stack.homeserver.serverName}`);
      await carol.waitFor(
        (s) => s.name === "presence" && s.attrs["from"] === `${lobby}/MatrixBridge`,
        "the bridge's presence in the room",
      );
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.member" && e.state_key === carolGhost() && e.content["membership"] === "join",
        { roomId: room },
      );
    });

    coreScenarios({
      network: "XMPP",
      stack: () => stack,
      alice: () => alice,
      room: () => room,
      remoteGhost: carolGhost,
      sayRemote: async (body) => {
        await carol.say(lobby, body);
      },
      seenRemote: async () =>
        carol.stanzas
          .filter((s) => s.name === "message" && s.attrs["from"] === `${lobby}/Alice`)
          .map((s) => s.getChildText("body") ?? ""),
    });
  });
