// The IRC bridge under test: a real IRC server, a real homeserver (Synapse unless told otherwise), and the bridge with
// the IRC plugin loaded exactly as its config names it (`network.module: bridge-irc`).

import { join } from "node:path";
import { IrcNetwork, parseIrcConfig } from "bridge-irc";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import type { HomeserverSoftware } from "../homeserver.ts";
import { REPO_ROOT } from "../paths.ts";
import type { IrcServer } from "./server-process.ts";

export const IRC_MODULE = join(REPO_ROOT, "packages", "bridge-irc", "src", "index.ts");

export async function startIrcBridgeStack(options: {
  runDir: string;
  server: IrcServer;
  settings?: Record<string, unknown>;
  /** Top-level sections added to the bridge's config (media, bridge, …). */
  extraConfig?: Record<string, unknown>;
  /** Where the bridge listens, when the config must name it (media.public_url); a free port otherwise. */
  bridgePort?: number;
  /** Defaults to Synapse. */
  homeserver?: HomeserverSoftware;
}): Promise<BridgeStack<IrcNetwork>> {
  const config = {
    server: { host: options.server.host, port: options.server.port, name: "Test IRC" },
    bot: { nick: "MatrixBridge" },
    ...options.settings,
  };
  return startBridgeStack<IrcNetwork>({
    runDir: options.runDir,
    plugin: { id: "irc", module: IRC_MODULE, config, create: (c) => new IrcNetwork(parseIrcConfig(c)) },
    ...(options.extraConfig && { extraConfig: options.extraConfig }),
    ...(options.bridgePort !== undefined && { bridgePort: options.bridgePort }),
    ...(options.homeserver !== undefined && { homeserver: options.homeserver }),
  });
}
