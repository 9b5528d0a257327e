// The Discord bridge: `network.module: bridge-discord` in the bridge's config, with its settings (the bot token
// first) under `network.config`.

import type { NetworkFactory } from "bridge-core";
import { parseDiscordConfig } from "./config.ts";
import { DiscordNetwork } from "./discord-network.ts";

export { type DiscordConfig, parseDiscordConfig } from "./config.ts";
export { DiscordNetwork } from "./discord-network.ts";

const createDiscordNetwork: NetworkFactory = (context) =>
  new DiscordNetwork(parseDiscordConfig(context.config), context);
export default createDiscordNetwork;
