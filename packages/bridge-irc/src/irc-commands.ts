// The IRC bridge's own bot commands, for managing one's puppet: its nick, its channels, its services login, and
// looking people up. In the DM with the bot they need no prefix (`nick alice`); in a bridged room they do (`!nick`).

import { type Command, type CommandContext, CommandUsageError } from "bridge-core";
import { ircLower } from "./formatting/mentions.ts";
import { type IrcConnection, NickRefusedError, type WhoisReply } from "./irc-connection.ts";
import type { PuppetPool } from "./puppet-pool.ts";
import type { PuppetSettings } from "./puppet-settings.ts";

export const NICK = /^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/;
export const CHANNEL = /^[#&][^\s,\x07\0\r\n:]{1,49}$/;
/** Services account names and passwords: one word, nothing that could end the line. */
const WORD = /^[^\s\0\r\n]+$/;

export interface IrcCommandDeps {
  /** In relay mode nobody has a puppet, and the commands that manage one say so. */
  puppetsEnabled: boolean;
  pool: PuppetPool;
  settings: PuppetSettings;
  bot: IrcConnection;
  /** The portal alias of a channel, on the homeserver of the user asking. */
  aliasOf(channel: string): string;
}

function one(ctx: CommandContext, what: string): string {
  const [value, ...rest] = ctx.args;
  if (value === undefined || rest.length > 0) throw new CommandUsageError(`Give ${what}.`);
  return value;
}

function channelArg(ctx: CommandContext): string {
  const channel = one(ctx, "one channel");
  if (!CHANNEL.test(channel)) throw new CommandUsageError(`"${channel}" is not an IRC channel name.`);
  return channel;
}

function describeWhois(reply: WhoisReply): string {
  if (reply.error !== undefined || reply.ident === undefined) return `Nobody on IRC is called ${reply.nick}.`;
  const lines = [`${reply.nick} is ${reply.ident}@${reply.hostname ?? "?"} (${reply.real_name ?? ""})`];
  if (reply.server) lines.push(`on ${reply.server}`);
  if (reply.account) lines.push(`logged in as ${reply.account}`);
  if (reply.channels) lines.push(`in ${reply.channels}`);
  if (reply.away) lines.push(`away: ${reply.away}`);
  if (reply.idle !== undefined) lines.push(`idle for ${reply.idle} s`);
  return lines.join("\n");
}

export function createIrcCommands(deps: IrcCommandDeps): Command[] {
  const noPuppets =
    "This bridge relays everyone through its bot; there is no IRC connection of your own to manage.";

  /** Runs a command that needs puppets, turning failures into replies the user can act on. */
  const withPuppets =
    (what: string, run: (ctx: CommandContext, pool: PuppetPool) => Promise<void>) =>
    async (ctx: CommandContext): Promise<void> => {
      if (!deps.puppetsEnabled) return ctx.reply(noPuppets);
      try {
        await run(ctx, deps.pool);
      } catch (err) {
        if (err instanceof CommandUsageError) throw err;
        await ctx.reply(`Could not ${what}: ${(err as Error).message}`);
      }
    };

  const nick: Command = {
    name: "nick",
    usage: "<newnick>",
    summary: "change your nick on IRC; it is kept for your later connections",
    run: withPuppets("change your nick", async (ctx, pool) => {
      const wanted = one(ctx, "one nick");
      if (!NICK.test(wanted)) {
        throw new CommandUsageError(
          `"${wanted}" is not a valid IRC nick: it must start with a letter or one of []\\^_\`{|} and be at most 30 characters.`,
        );
      }
      if (ircLower(wanted) === ircLower(deps.bot.nick))
        return ctx.reply(`${wanted} is the bridge's own nick.`);
      pool.touch(ctx.sender);
      const connection = pool.get(ctx.sender);
      if (connection?.isRegistered) {
        // The bot may see the change before the puppet does: the new nick must already count as the puppet's.
        pool.expectNick(wanted);
        let given: string;
        try {
          given = await connection.changeNick(wanted);
        } catch (err) {
          pool.forgetNick(wanted);
          if (err instanceof NickRefusedError) return ctx.reply(`The IRC server refused: ${err.message}.`);
          throw err;
        }
        await deps.settings.setNick(ctx.sender, given);
        pool.setChosenNick(ctx.sender, given);
        return ctx.reply(`You are now ${given} on IRC.`);
      }
      await deps.settings.setNick(ctx.sender, wanted);
      pool.setChosenNick(ctx.sender, wanted);
      await ctx.reply(`Your IRC connection will use the nick ${wanted} when it next connects.`);
    }),
  };

  const join: Command = {
    name: "join",
    usage: "<#channel>",
    summary: "join an IRC channel with your own connection",
    run: withPuppets("join", async (ctx, pool) => {
      const channel = channelArg(ctx);
      if (!pool.canHave(ctx.sender)) {
        return ctx.reply(
          "The bridge has no IRC connection left to give you; the bot relays you where rooms allow it.",
        );
      }
      const puppet = await pool.ensure(ctx.sender);
      await puppet.join(channel);
      const alias = deps.aliasOf(ircLower(channel));
      await ctx.reply(
        `${puppet.nick} is in ${channel} on IRC. Its Matrix room is ${alias}; join it to talk there.`,
      );
    }),
  };

  const part: Command = {
    name: "part",
    usage: "<#channel>",
    summary: "leave an IRC channel with your own connection",
    run: withPuppets("leave", async (ctx, pool) => {
      const channel = channelArg(ctx);
      const puppet = pool.get(ctx.sender);
      if (!puppet?.channels.has(ircLower(channel))) return ctx.reply(`You are not in ${channel} on IRC.`);
      pool.touch(ctx.sender);
      puppet.part(channel, "Left from Matrix");
      await ctx.reply(
        `You left ${channel} on IRC. While you stay in its Matrix room, your next message there joins it again.`,
      );
    }),
  };

  const whois: Command = {
    name: "whois",
    usage: "<nick>",
    summary: "look someone up on IRC",
    run: async (ctx) => {
      const target = one(ctx, "one nick");
      if (!NICK.test(target)) throw new CommandUsageError(`"${target}" is not a valid IRC nick.`);
      const own = deps.pool.get(ctx.sender);
      const connection = own?.isRegistered ? own : deps.bot;
      try {
        await ctx.reply(describeWhois(await connection.whois(target)));
      } catch (err) {
        await ctx.reply(`Could not look ${target} up: ${(err as Error).message}`);
      }
    },
  };

  const storepass: Command = {
    name: "storepass",
    usage: "[account] <password>",
    summary: "store your NickServ/SASL password (encrypted); your IRC connection logs in with it",
    run: async (ctx) => {
      // Whatever else happens, the password must not stay in the room's history.
      await ctx.hideCommand();
      if (!ctx.isManagementRoom) {
        return ctx.reply(
          "Send storepass in your DM with me, where nobody else reads it. I removed your message.",
        );
      }
      if (!deps.puppetsEnabled) return ctx.reply(noPuppets);
      const settings = deps.settings;
      const pool = deps.pool;
      if (ctx.args.length < 1 || ctx.args.length > 2 || !ctx.args.every((a) => WORD.test(a))) {
        throw new CommandUsageError(
          "Give your password, and your account name first if it is not your nick.",
        );
      }
      const password = ctx.args.at(-1)!;
      const account = ctx.args.length === 2 ? ctx.args[0]! : pool.nickFor(ctx.sender);
      await settings.storeCredentials(ctx.sender, { account, password });
      pool.get(ctx.sender)?.setCredentials({ account, password });
      await ctx.reply(
        `Stored, encrypted. Your IRC connection logs in to the account ${account} from now on (with SASL where the server offers it, else NickServ).`,
      );
    },
  };

  const removepass: Command = {
    name: "removepass",
    summary: "forget your stored NickServ/SASL password",
    run: withPuppets("remove your password", async (ctx, pool) => {
      const removed = await deps.settings.removeCredentials(ctx.sender);
      pool.get(ctx.sender)?.setCredentials(undefined);
      await ctx.reply(
        removed
          ? "Your password is forgotten; your IRC connection will not log in from its next connection on."
          : "You had no password stored.",
      );
    }),
  };

  const quit: Command = {
    name: "quit",
    summary: "disconnect your own IRC connection (your next message connects it again)",
    run: withPuppets("disconnect", async (ctx, pool) => {
      const disconnected = pool.disconnect(ctx.sender, "Disconnected from Matrix");
      await ctx.reply(
        disconnected
          ? "Your IRC connection is closed. Your next message in a bridged room opens it again."
          : "You have no IRC connection open.",
      );
    }),
  };

  const listrooms: Command = {
    name: "listrooms",
    summary: "list the IRC channels your own connection is in",
    run: withPuppets("list your channels", async (ctx, pool) => {
      const puppet = pool.get(ctx.sender);
      if (!puppet) return ctx.reply("You have no IRC connection open.");
      const channels = [...puppet.channels].sort();
      if (channels.length === 0) return ctx.reply(`${puppet.nick} is in no channels.`);
      const lines = channels.map((channel) => `${channel} — ${deps.aliasOf(channel)}`);
      await ctx.reply(`${puppet.nick} is in:\n${lines.join("\n")}`);
    }),
  };

  return [nick, join, part, whois, storepass, removepass, quit, listrooms];
}
