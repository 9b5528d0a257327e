// The Discord bridge under test: the Discord API emulator, a real homeserver (Synapse), and the bridge with the
// Discord plugin loaded exactly as its config names it (`network.module` pointing at bridge-discord). Attachments
// and pictures are served by the emulator on 127.0.0.1, so the bridge may fetch from private addresses here.

import { join } from "node:path";
import type { NetworkContext } from "bridge-core";
import createDiscordNetwork, { type DiscordNetwork } from "bridge-discord";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import { REPO_ROOT } from "../paths.ts";
import type { DiscordEmulator } from "./discord-emulator.ts";

export const DISCORD_MODULE = join(REPO_ROOT, "packages", "bridge-discord", "src", "index.ts");

export async function startDiscordBridgeStack(options: {
  runDir: string;
  emulator: DiscordEmulator;
  extraConfig?: Record<string, unknown>;
  doublePuppet?: boolean;
  /** Plugin settings beside the emulator's addresses and token. */
  settings?: Record<string, unknown>;
}): Promise<BridgeStack<DiscordNetwork>> {
  return startBridgeStack<DiscordNetwork>({
    runDir: options.runDir,
    plugin: {
      id: "discord",
      module: DISCORD_MODULE,
      config: {
        bot_token: options.emulator.botToken,
        api_url: options.emulator.apiUrl,
        cdn_url: options.emulator.cdnUrl,
        ...options.settings,
      },
      factory: createDiscordNetwork as (context: NetworkContext) => DiscordNetwork,
      world: undefined,
    },
    extraConfig: { media: { allow_private_addresses: true }, ...options.extraConfig },
    ...(options.doublePuppet === true && { doublePuppet: true }),
  });
}
