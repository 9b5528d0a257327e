// The Telegram bridge: `network.module: bridge-telegram` in the bridge's config, with its settings (the bot token
// first) under `network.config`.

import type { NetworkFactory } from "bridge-core";
import { parseTelegramConfig } from "./config.ts";
import { TelegramNetwork } from "./telegram-network.ts";

export { parseTelegramConfig, type TelegramConfig } from "./config.ts";
export { TelegramNetwork } from "./telegram-network.ts";

const createTelegramNetwork: NetworkFactory = (context) =>
  new TelegramNetwork(context, parseTelegramConfig(context.config));
export default createTelegramNetwork;
