// The IRC bridge: `network.module: bridge-irc` in the bridge's config, with its settings under `network.config`.

import type { NetworkFactory } from "bridge-core";
import { parseIrcConfig } from "./config.ts";
import { IrcNetwork } from "./irc-network.ts";

export { type IrcConfig, parseIrcConfig } from "./config.ts";
export { IrcNetwork } from "./irc-network.ts";

const createIrcNetwork: NetworkFactory = ({ config }) => new IrcNetwork(parseIrcConfig(config));
export default createIrcNetwork;
