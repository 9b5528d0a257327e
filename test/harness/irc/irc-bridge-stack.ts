// The IRC bridge under test: a real IRC server, a real homeserver (Synapse unless told otherwise), and the bridge with
// the IRC plugin loaded exactly as its config names it (`network.module: bridge-irc`).

import { join } from "node:path";
import type { NetworkContext, NetworkPlugin } from "bridge-core";
import createIrcNetwork, { type IrcNetwork } from "bridge-irc";
import { type BridgeStack, type NetworkUnderTest, startBridgeStack } from "../bridge-stack.ts";
import type { HomeserverSoftware } from "../homeserver.ts";
import { REPO_ROOT } from "../paths.ts";
import type { IrcServer } from "./server-process.ts";

export const IRC_MODULE = join(REPO_ROOT, "packages", "bridge-irc", "src", "index.ts");

/** The IRC plugin with these settings (`network.config`), made by its module's default export. */
export function ircNetwork<N extends NetworkPlugin = IrcNetwork>(
  config: Record<string, unknown>,
): NetworkUnderTest<N> {
  return {
    id: "irc",
    module: IRC_MODULE,
    config,
    factory: createIrcNetwork as (context: NetworkContext) => N,
    world: undefined as NetworkUnderTest<N>["world"],
  };
}

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
    plugin: ircNetwork(config),
    ...(options.extraConfig && { extraConfig: options.extraConfig }),
    ...(options.bridgePort !== undefined && { bridgePort: options.bridgePort }),
    ...(options.homeserver !== undefined && { homeserver: options.homeserver }),
  });
}
