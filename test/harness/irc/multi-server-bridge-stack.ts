// One IRC bridge in front of several real IRC servers at once (`network.config.servers`), loaded as its config
// names it, like the single-server stack beside it.

import type { MultiServerIrcNetwork } from "bridge-irc";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import { ircNetwork } from "./irc-bridge-stack.ts";
import type { IrcServer } from "./server-process.ts";

export async function startMultiServerIrcBridgeStack(options: {
  runDir: string;
  /** Each server under the key that prefixes its ids; `settings` are added to that server's entry. */
  servers: { key: string; server: IrcServer; settings?: Record<string, unknown> }[];
  extraConfig?: Record<string, unknown>;
}): Promise<BridgeStack<MultiServerIrcNetwork>> {
  const config = {
    servers: options.servers.map(({ key, server, settings }) => ({
      key,
      server: { host: server.host, port: server.port, name: `Test IRC ${key}` },
      bot: { nick: "MatrixBridge" },
      ...settings,
    })),
  };
  return startBridgeStack<MultiServerIrcNetwork>({
    runDir: options.runDir,
    plugin: ircNetwork<MultiServerIrcNetwork>(config),
    ...(options.extraConfig && { extraConfig: options.extraConfig }),
  });
}
