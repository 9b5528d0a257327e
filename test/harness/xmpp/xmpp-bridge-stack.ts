// The XMPP bridge under test: a real XMPP server, a real homeserver (Synapse unless told otherwise), and the bridge
// with the XMPP plugin loaded exactly as its config names it (`network.module: bridge-xmpp`), connected as the server's
// component.

import { join } from "node:path";
import type { NetworkContext } from "bridge-core";
import createXmppNetwork, { type XmppNetwork } from "bridge-xmpp";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import type { HomeserverSoftware } from "../homeserver.ts";
import { REPO_ROOT } from "../paths.ts";
import type { XmppServer } from "./xmpp-server.ts";

export const XMPP_MODULE = join(REPO_ROOT, "packages", "bridge-xmpp", "src", "index.ts");

export async function startXmppBridgeStack(options: {
  runDir: string;
  server: XmppServer;
  settings?: Record<string, unknown>;
  /** Connect as this ordinary account (relaying every Matrix user) instead of as the server's component. */
  relayAccount?: { jid: string; password: string };
  /** Top-level sections added to the bridge's config. */
  extraConfig?: Record<string, unknown>;
  /** Defaults to Synapse. */
  homeserver?: HomeserverSoftware;
}): Promise<BridgeStack<XmppNetwork>> {
  const { server } = options;
  const connection =
    options.relayAccount !== undefined
      ? { relay: { ...options.relayAccount, service: `xmpp://${server.host}:${server.c2sPort}` } }
      : {
          component: {
            host: server.host,
            port: server.componentPort,
            domain: server.componentDomain,
            secret: server.componentSecret,
          },
        };
  const config = {
    ...connection,
    name: "Test XMPP",
    ...options.settings,
  };
  return startBridgeStack<XmppNetwork>({
    runDir: options.runDir,
    plugin: {
      id: "xmpp",
      module: XMPP_MODULE,
      config,
      factory: createXmppNetwork as (context: NetworkContext) => XmppNetwork,
      world: undefined,
    },
    ...(options.extraConfig && { extraConfig: options.extraConfig }),
    ...(options.homeserver !== undefined && { homeserver: options.homeserver }),
  });
}
