// Commands every bridge has, whatever its network.

import { CommandUsageError } from "../network-commands.ts";
import type { CommandRegistry } from "./registry.ts";

export function registerBuiltinCommands(
  registry: CommandRegistry,
  options: { networkName: string; startedAt: number },
) {
  registry.register({
    name: "help",
    summary: "list the commands",
    // Only what the asker may run: an admin's commands are no business of everyone else's.
    run: (ctx) => ctx.reply(registry.helpText(ctx.isAdmin === true)),
  });
  registry.register({
    name: "ping",
    summary: "check that the bridge is alive",
    run: async (ctx) => {
      if (ctx.args.length > 0) throw new CommandUsageError("ping takes no arguments.");
      const uptime = Math.round((Date.now() - options.startedAt) / 1000);
      await ctx.reply(`Pong! The ${options.networkName} bridge is up (${uptime} s).`);
    },
  });
}
