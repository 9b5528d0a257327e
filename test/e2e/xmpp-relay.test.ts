// The relay account against real Prosody and ejabberd and a real Synapse: without a component, the bridge logs in as
// one ordinary XMPP account, joins the MUC as the bot, and relays Matrix users as "Name: text"; what XMPP users say
// still arrives from their ghosts.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { ghostOf, XMPP_SERVERS } from "../harness/xmpp/muc-suite.ts";
import { startXmppBridgeStack } from "../harness/xmpp/xmpp-bridge-stack.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";
import type { XmppServer } from "../harness/xmpp/xmpp-server.ts";

for (const [software, createServer] of XMPP_SERVERS)
  describe(`XMPP relay account with ${software} and Synapse`, () => {
    const runDir = useRunDir(`xmpp-relay-${software.toLowerCase()}`);
    let server: XmppServer;
    let stack: BridgeStack<XmppNetwork>;
    let alice: TestClient;
    let carol: XmppTestClient;
    let room: RoomId;
    let muc: string;

    before(async () => {
      server = await createServer(runDir.path);
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      muc = `relayed@${server.mucDomain}`;
      carol = await XmppTestClient.connect(server, "carol");
      runDir.addTeardown(() => carol.close());
      await carol.joinRoom(muc, "carol");
      const password = randomBytes(12).toString("hex");
      await server.register("relaybot", password);
      stack = await startXmppBridgeStack({
        runDir: runDir.path,
        server,
        relayAccount: { jid: `relaybot@${server.domain}`, password },
      });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
      room = await alice.join(`#xmpp_relayed_${server.mucDomain}:${stack.synapse.serverName}`);
    });

    test("Matrix users are relayed by the account as Name: text, and XMPP users arrive as ghosts", async () => {
      await alice.sendText(room, "hello <xmpp> ]]> room");
      const relayed = await carol.waitForBody(`${muc}/MatrixBridge`, "Alice: hello <xmpp> ]]> room");
      assert.equal(relayed.attrs["type"], "groupchat");
      await carol.say(muc, "hello matrix");
      await alice.waitForEvent(
        (e) => e.sender === ghostOf(stack, `${muc}/carol`) && e.content["body"] === "hello matrix",
        { roomId: room },
      );
    });
  });
