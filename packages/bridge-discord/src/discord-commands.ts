// The Discord bot commands beside the core's: which servers the bot is in, a server's channels with the portal alias
// each has (joining the alias makes the portal and brings the user in), `join` to be invited into a channel's portal,
// and the link that adds the bot to a server.
// A bot only enters a server when someone who manages it follows that link; it cannot join one by itself.

import { type Command, CommandUsageError, type RemoteRoomId } from "bridge-core";
import { ChannelType, type Client, OAuth2Scopes, PermissionFlagsBits } from "discord.js";
import { channelRoomId, isSnowflake, parseChannelRoomId } from "./discord-ids.ts";

/** What the bridge does in a server's channels, asked for when the bot is added. */
export const BOT_PERMISSIONS = [
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.SendMessagesInThreads,
  PermissionFlagsBits.ReadMessageHistory,
  PermissionFlagsBits.AddReactions,
  PermissionFlagsBits.AttachFiles,
  PermissionFlagsBits.EmbedLinks,
  PermissionFlagsBits.ManageWebhooks,
  PermissionFlagsBits.ManageMessages,
  PermissionFlagsBits.KickMembers,
  PermissionFlagsBits.BanMembers,
  PermissionFlagsBits.ViewAuditLog,
];

/** Channels that are portals: text and announcement channels (threads go to their parent's portal). */
const PORTAL_TYPES = new Set([ChannelType.GuildText, ChannelType.GuildAnnouncement]);

export function discordCommands(deps: {
  client: Client;
  portalAlias(id: RemoteRoomId): string;
  linkedRooms(): Promise<RemoteRoomId[]>;
}): Command[] {
  const { client } = deps;
  return [
    {
      name: "guilds",
      summary: "List the Discord servers the bot is in",
      section: "Discord",
      async run(context) {
        const guilds = [...client.guilds.cache.values()];
        if (guilds.length === 0) {
          await context.reply(
            "The bot is in no Discord server yet; `invite` gives the link that adds it to one.",
          );
          return;
        }
        const lines = guilds.map((g) => `- ${g.name} (${g.id}): \`channels ${g.id}\``);
        await context.reply(`The bot is in ${guilds.length} Discord server(s):\n${lines.join("\n")}`);
      },
    },
    {
      name: "channels",
      usage: "<server id>",
      summary: "List a Discord server's channels and the Matrix room alias of each",
      section: "Discord",
      async run(context) {
        const [guildId] = context.args;
        if (guildId === undefined || !isSnowflake(guildId))
          throw new CommandUsageError("name a server by its id");
        const guild = client.guilds.cache.get(guildId);
        if (guild === undefined) {
          await context.reply(
            `The bot is not in a Discord server ${guildId}; \`guilds\` lists those it is in.`,
          );
          return;
        }
        const linked = new Set(await deps.linkedRooms());
        const channels = [...guild.channels.cache.values()]
          .filter((c) => PORTAL_TYPES.has(c.type))
          .sort((a, b) => ("position" in a && "position" in b ? a.position - b.position : 0));
        const lines = channels.map((c) => {
          const id = channelRoomId(guild.id, c.id);
          const kind = c.type === ChannelType.GuildAnnouncement ? " (announcements)" : "";
          return `- #${c.name}${kind}: join ${deps.portalAlias(id)}${linked.has(id) ? " (bridged)" : ""} or \`join ${guild.id}/${c.id}\``;
        });
        await context.reply(
          lines.length === 0
            ? `${guild.name} has no text channel the bot can see.`
            : `Channels of ${guild.name} (join an alias to enter its room):\n${lines.join("\n")}`,
        );
      },
    },
    {
      name: "join",
      usage: "<server id>/<channel id>",
      summary: "Be invited into a Discord channel's Matrix room",
      section: "Discord",
      async run(context) {
        const ids = parseChannelRoomId((context.args[0] ?? "") as RemoteRoomId);
        if (ids === null) throw new CommandUsageError("name a channel as <server id>/<channel id>");
        try {
          const alias = await context.openPortal(channelRoomId(ids.guildId, ids.channelId));
          await context.reply(`Invited you to ${alias}.`);
        } catch (err) {
          await context.reply(
            `Could not open that channel's room: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      },
    },
    {
      name: "invite",
      summary: "The link that adds the bridge's bot to a Discord server",
      section: "Discord",
      async run(context) {
        const url = client.generateInvite({ scopes: [OAuth2Scopes.Bot], permissions: BOT_PERMISSIONS });
        await context.reply(`Someone who manages a Discord server can add the bot to it with ${url}`);
      },
    },
  ];
}
