// The Telegram bridge under test: the Bot API emulator, a real homeserver (Synapse unless told otherwise), and the
// bridge with the Telegram plugin loaded exactly as its config names it (`network.module` pointing at bridge-telegram).

import { join } from "node:path";
import type { NetworkContext } from "bridge-core";
import createTelegramNetwork, { type TelegramNetwork } from "bridge-telegram";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import type { HomeserverSoftware } from "../homeserver.ts";
import { REPO_ROOT } from "../paths.ts";
import type { TelegramEmulator } from "./telegram-emulator.ts";

export const TELEGRAM_MODULE = join(REPO_ROOT, "packages", "bridge-telegram", "src", "index.ts");

export async function startTelegramBridgeStack(options: {
  runDir: string;
  emulator: TelegramEmulator;
  settings?: Record<string, unknown>;
  extraConfig?: Record<string, unknown>;
  bridgePort?: number;
  doublePuppet?: boolean;
  /** Defaults to Synapse. */
  homeserver?: HomeserverSoftware;
}): Promise<BridgeStack<TelegramNetwork>> {
  const config = {
    bot_token: options.emulator.botToken,
    api_url: options.emulator.apiUrl,
    // The emulator answers getUpdates at once instead of holding it open.
    polling: { timeout_seconds: 0 },
    ...options.settings,
  };
  return startBridgeStack<TelegramNetwork>({
    runDir: options.runDir,
    plugin: {
      id: "telegram",
      module: TELEGRAM_MODULE,
      config,
      factory: createTelegramNetwork as (context: NetworkContext) => TelegramNetwork,
      world: undefined,
    },
    ...(options.extraConfig !== undefined && { extraConfig: options.extraConfig }),
    ...(options.bridgePort !== undefined && { bridgePort: options.bridgePort }),
    ...(options.doublePuppet === true && { doublePuppet: true }),
    ...(options.homeserver !== undefined && { homeserver: options.homeserver }),
  });
}
