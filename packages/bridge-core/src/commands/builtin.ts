// Commands every bridge has, whatever its network.

import { type CommandRegistry, CommandUsageError } from "./registry.ts";

export function registerBuiltinCommands(
  registry: CommandRegistry,
  options: { networkName: string; startedAt: number },
) {
  registry.register({
    name: "help",
    summary: "list the commands",
    run: (ctx) => ctx.reply(registry.helpText()),
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
