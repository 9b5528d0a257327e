// The IRC bridge: `network.module: bridge-irc` in the bridge's config, with its settings under `network.config`:
// one server (`server:`), or several (`servers:`, each with a key that prefixes its remote ids).

import type { NetworkFactory } from "bridge-core";
import { isMultiServerConfig, parseIrcConfig, parseMultiServerIrcConfig } from "./config.ts";
import { IrcNetwork } from "./irc-network.ts";
import { MultiServerIrcNetwork } from "./multi-server.ts";

export {
  type IrcConfig,
  type IrcServerEntry,
  isMultiServerConfig,
  type MultiServerIrcConfig,
  parseIrcConfig,
  parseMultiServerIrcConfig,
} from "./config.ts";
export { IrcNetwork } from "./irc-network.ts";
export { MultiServerIrcNetwork, SERVER_SEPARATOR, splitServerId, withServer } from "./multi-server.ts";

const createIrcNetwork: NetworkFactory = (context) =>
  isMultiServerConfig(context.config)
    ? MultiServerIrcNetwork.fromConfig(context, parseMultiServerIrcConfig(context.config))
    : new IrcNetwork(context, parseIrcConfig(context.config));
export default createIrcNetwork;
