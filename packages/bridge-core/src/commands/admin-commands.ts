// Commands for the bridge's admins (`admin` in `bridge.permissions`): what runs (`version`), what is bridged
// (`portals`), taking a room out of the bridge (`delete-portal`, `unlink-room`), and the network connections
// (`reconnect`, `connection`). The registry refuses them to everyone else and keeps them out of their help.

import { isRoomId, isUserId, type RemoteRoomId, type RoomAlias, remoteRoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin } from "../network.ts";
import { CommandUsageError } from "../network-commands.ts";
import type { BridgeStates } from "../observability/bridge-state.ts";
import type { RoomLinking } from "../room-linking.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import type { CommandRegistry } from "./registry.ts";
import { bridgeStateLine, connectionLines } from "./status-commands.ts";

export interface AdminCommandsOptions {
  version: string;
  network: NetworkPlugin;
  states: BridgeStates;
  /** Where a portal's alias is, to take it away with the portal. */
  naming: { portalAlias(id: RemoteRoomId): RoomAlias };
  intents: IntentFactory;
  logger: Logger;
  /** Getters: the store and the plumbing exist once the bridge started, after the commands are registered. */
  store: () => BridgeStore;
  plumbing: () => RoomLinking;
}

/** More than this many links are summed up, not listed: a reply is not the place for thousands of lines. */
const MAX_LISTED = 100;

function linkLine(link: RoomLink): string {
  const flags = [link.relay === true ? "relay" : "", link.paused === "encrypted" ? "paused: encrypted" : ""]
    .filter((flag) => flag !== "")
    .join(", ");
  return `${link.kind} ${link.roomId} ↔ ${link.remoteRoomId}${flags === "" ? "" : ` (${flags})`}`;
}

export function registerAdminCommands(registry: CommandRegistry, options: AdminCommandsOptions): void {
  const { network, states, naming, intents, logger } = options;
  const name = network.info.displayName;

  registry.register({
    name: "version",
    admin: true,
    summary: "show the bridge's version and state",
    run: async (ctx) => {
      await ctx.reply(
        `matrix-bridge ${options.version}, ${name} (${network.info.id}), Node ${process.versions.node}.\n${bridgeStateLine(states)}`,
      );
    },
  });

  registry.register({
    name: "portals",
    admin: true,
    summary: "list the bridged rooms: portals, linked (plumbed) rooms and private chats",
    run: async (ctx) => {
      const links = await options.store().listRoomLinks();
      if (links.length === 0) return ctx.reply("No room is bridged.");
      const lines = links.slice(0, MAX_LISTED).map(linkLine);
      const more = links.length > MAX_LISTED ? `\n… and ${links.length - MAX_LISTED} more.` : "";
      await ctx.reply(`${links.length} bridged rooms:\n${lines.join("\n")}${more}`);
    },
  });

  registry.register({
    name: "delete-portal",
    admin: true,
    usage: "<Matrix room id | remote room id>",
    summary:
      "take a room out of the bridge: its ghosts and the bot leave, its alias and mappings are forgotten",
    run: async (ctx) => {
      const [target, ...rest] = ctx.args;
      if (target === undefined || rest.length > 0)
        throw new CommandUsageError("Give one room: its Matrix room id or its remote room id.");
      const store = options.store();
      const link = isRoomId(target)
        ? await store.getRoomLinkByMatrix(target)
        : await store.getRoomLinkByRemote(remoteRoomId(target));
      if (link === null) return ctx.reply(`${target} is not bridged.`);
      const plumbing = options.plumbing();
      await plumbing.deleteLink(link);
      if (link.kind === "portal") {
        // The alias must lead to a new portal the next time someone asks for it, not into the abandoned room.
        const bot = intents.bot;
        await bot.setDirectoryVisibility(link.roomId, "private").catch(() => undefined);
        await bot.deleteAlias(naming.portalAlias(link.remoteRoomId)).catch((err: unknown) => {
          logger.warn("could not remove a deleted portal's alias", { roomId: link.roomId, err });
        });
      }
      await plumbing.leaveRoom(link);
      logger.info("room taken out of the bridge by an admin", {
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        kind: link.kind,
        by: ctx.sender,
      });
      await ctx.reply(`Deleted the ${link.kind} ${link.roomId} (${link.remoteRoomId}); the bridge left it.`);
    },
  });

  registry.register({
    name: "unlink-room",
    admin: true,
    usage: "<Matrix room id>",
    summary: "end any linked room's link, as its moderators could",
    run: async (ctx) => {
      const [roomId, ...rest] = ctx.args;
      if (roomId === undefined || rest.length > 0 || !isRoomId(roomId))
        throw new CommandUsageError("Give the Matrix room id (!…) of the linked room.");
      try {
        const link = await options.plumbing().unlink(roomId, ctx.sender);
        await ctx.reply(`Unlinked ${roomId} from ${link.remoteRoomId}.`);
      } catch (err) {
        await ctx.reply((err as Error).message);
      }
    },
  });

  registry.register({
    name: "reconnect",
    admin: true,
    usage: "<bot | Matrix user id>",
    summary: `drop and remake a ${name} connection: the bridge's own, or a user's`,
    run: async (ctx) => {
      const [which, ...rest] = ctx.args;
      if (which === undefined || rest.length > 0 || (which !== "bot" && !isUserId(which)))
        throw new CommandUsageError('Say "bot" or give a Matrix user id.');
      if (network.reconnect === undefined)
        return ctx.reply(`The ${name} bridge cannot reconnect on request.`);
      try {
        await network.reconnect(which === "bot" ? "bot" : (which as UserId));
        await ctx.reply(
          `Reconnecting ${which === "bot" ? "the bridge's own connection" : which} to ${name}.`,
        );
      } catch (err) {
        await ctx.reply(`Could not reconnect: ${(err as Error).message}`);
      }
    },
  });

  registry.register({
    name: "connection",
    admin: true,
    usage: "<Matrix user id | bot>",
    summary: `show the state of a user's ${name} connection, or the bridge's own`,
    run: async (ctx) => {
      const [who, ...rest] = ctx.args;
      if (who === undefined || rest.length > 0 || (who !== "bot" && !isUserId(who)))
        throw new CommandUsageError('Give a Matrix user id, or "bot".');
      if (who === "bot") {
        const bots = Object.values(states.snapshot().bot);
        const lines = connectionLines(bots);
        return ctx.reply(
          lines.length === 0 ? "The bridge reported no connection yet." : `The bridge: ${lines.join("; ")}.`,
        );
      }
      const lines = connectionLines(states.userConnections(who as UserId));
      const login = await options.store().getLogin(who as UserId);
      const identity = login === null ? "" : ` (logged in as ${login.remoteUserId})`;
      await ctx.reply(
        lines.length === 0
          ? `${who}${identity} has no ${name} connection of their own right now.`
          : `${who}${identity}: ${lines.join("; ")}.`,
      );
    },
  });
}
