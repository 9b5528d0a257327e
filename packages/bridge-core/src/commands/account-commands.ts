// Single puppeting from the user's side: `login`, `logout`, `whoami`. Credentials typed after `login` are only
// accepted in the user's DM with the bot, where nobody else reads them.

import type { UserId } from "../ids.ts";
import type { NetworkPlugin } from "../network.ts";
import type { BridgeStore } from "../store/store.ts";
import type { CommandRegistry } from "./registry.ts";

export function registerAccountCommands(
  registry: CommandRegistry,
  options: {
    /** The store opens when the bridge starts, after the commands are registered. */
    store: () => BridgeStore;
    network: NetworkPlugin;
    identityOf: (userId: UserId) => Promise<string | null>;
  },
): void {
  const { network } = options;
  const name = network.info.displayName;
  const section = "Your account";
  registry.register({
    name: "login",
    section,
    usage: "[credentials]",
    summary: `log in to ${name} with your own account, so your messages go out as you`,
    run: async (ctx) => {
      if (!network.login)
        return ctx.reply(`${name} has no login; the bridge gives you an identity automatically.`);
      // Credentials typed in a room stay in its history; take them out wherever they were typed.
      if (ctx.args.length > 1) await ctx.hideCommand();
      if (!ctx.isManagementRoom)
        return ctx.reply("Send login in your DM with me, where nobody else reads it.");
      const existing = await options.store().getLogin(ctx.sender);
      if (existing)
        return ctx.reply(`You are already logged in as ${existing.remoteUserId}. Send logout first.`);
      try {
        const login = await network.login(ctx.sender, ctx.args, ctx.text);
        await options.store().putLogin(ctx.sender, login);
        await ctx.reply(`Logged in to ${name} as ${login.remoteUserId}.`);
      } catch (err) {
        await ctx.reply(`Login failed: ${(err as Error).message}`);
      }
    },
  });
  registry.register({
    name: "logout",
    section,
    summary: `log out of ${name}`,
    run: async (ctx) => {
      const login = await options.store().getLogin(ctx.sender);
      if (!login) return ctx.reply("You are not logged in.");
      await network.logout?.(ctx.sender, login);
      await options.store().deleteLogin(ctx.sender);
      await ctx.reply(`Logged out of ${name} (you were ${login.remoteUserId}).`);
    },
  });
  registry.register({
    name: "whoami",
    section,
    summary: `show who you are on ${name}`,
    run: async (ctx) => {
      const login = await options.store().getLogin(ctx.sender);
      if (login) return ctx.reply(`You are logged in to ${name} as ${login.remoteUserId}.`);
      const automatic = await options.identityOf(ctx.sender);
      if (automatic)
        return ctx.reply(`You are ${automatic} on ${name} (given by the bridge; no login needed).`);
      await ctx.reply(`You are not logged in to ${name}. Send "login" here to log in.`);
    },
  });
}
