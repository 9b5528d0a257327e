// What the MUC suites share: the XMPP servers they run against, and one bridged MUC with an XMPP user (carol, who
// made the room and so owns it) and a Matrix user (alice, whose puppet is already in it) on either side.

import { before } from "node:test";
import type { Element } from "@xmpp/xml";
import type { RoomId } from "bridge-core";
import { fillTemplate } from "bridge-core/bridge";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../bridge-stack.ts";
import { registerUser, type TestClient } from "../matrix-test-client.ts";
import { useRunDir } from "../run-dir.ts";
import { EjabberdServer } from "./ejabberd.ts";
import { ProsodyServer } from "./prosody.ts";
import { startXmppBridgeStack } from "./xmpp-bridge-stack.ts";
import { XmppTestClient } from "./xmpp-client.ts";
import type { XmppServer } from "./xmpp-server.ts";

/** Every suite runs once per server software. */
export const XMPP_SERVERS: [string, (runDir: string) => Promise<XmppServer>][] = [
  ["Prosody", (runDir) => ProsodyServer.create({ runDir })],
  ["ejabberd", (runDir) => EjabberdServer.create({ runDir })],
];

export interface MucSuite {
  server: XmppServer;
  stack: BridgeStack<XmppNetwork>;
  alice: TestClient;
  carol: XmppTestClient;
  /** The portal. */
  room: RoomId;
  /** The MUC's bare JID. */
  muc: string;
}

/** The ghost of a remote user id (an occupant JID or a bare JID). */
export function ghostOf(stack: BridgeStack<XmppNetwork>, remoteId: string): string {
  return `@${fillTemplate("xmpp_{id}", remoteId)}:${stack.synapse.serverName}`;
}

/** The id the room stamped on a message, as an occupant sees it. */
export function stanzaIdIn(message: Element, muc: string): string {
  return (
    message.getChildren("stanza-id", "urn:xmpp:sid:0").find((el) => el.attrs["by"] === muc)?.attrs["id"] ?? ""
  );
}

/**
 * Sets up the suite's servers, users and portal of MUC `room` in a `before` hook; the returned function gives them to
 * the tests. Call it first in the suite, before its own hooks.
 */
export function useMucSuite(
  name: string,
  createServer: (runDir: string) => Promise<XmppServer>,
  room: string,
) {
  const runDir = useRunDir(name);
  let suite: MucSuite | undefined;
  before(async () => {
    const server = await createServer(runDir.path);
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    const muc = `${room}@${server.mucDomain}`;
    const carol = await XmppTestClient.connect(server, "carol");
    runDir.addTeardown(() => carol.close());
    await carol.joinRoom(muc, "carol");
    const stack = await startXmppBridgeStack({ runDir: runDir.path, server });
    runDir.addTeardown((failed) => stack.stop(failed));
    const alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    const portal = await alice.join(`#xmpp_${room}_${server.mucDomain}:${stack.synapse.serverName}`);
    // Alice's puppet joins the MUC with her first message.
    await alice.sendText(portal, "alice is here");
    await carol.waitForBody(`${muc}/Alice`, "alice is here");
    suite = { server, stack, alice, carol, room: portal, muc };
  });
  return (): MucSuite => {
    if (suite === undefined) throw new Error(`${name} is not set up yet`);
    return suite;
  };
}
