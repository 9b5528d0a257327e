// Commands a room's moderators send in the room itself: `link`, `unlink` and `relay`. The rules (power level, what
// may be linked) are the plumbing's; these only read the arguments and turn refusals into replies.

import { remoteRoomId } from "../ids.ts";
import { type CommandContext, CommandUsageError } from "../network-commands.ts";
import { PlumbingError, type RoomLinking } from "../room-linking.ts";
import type { CommandRegistry } from "./registry.ts";

/**
 * `plumbing` may be a getter: the plumbing needs the store, which opens when the bridge starts, after the commands
 * are registered.
 */
export function registerRoomCommands(
  registry: CommandRegistry,
  plumbing: RoomLinking | (() => RoomLinking),
): void {
  const get = typeof plumbing === "function" ? plumbing : () => plumbing;

  /** A refusal is the user's answer; anything else is the bridge's failure and goes to its log. */
  const answering = async (ctx: CommandContext, action: () => Promise<string>): Promise<void> => {
    let reply: string;
    try {
      reply = await action();
    } catch (err) {
      if (!(err instanceof PlumbingError)) throw err;
      reply = err.message;
    }
    await ctx.reply(reply);
  };

  registry.register({
    name: "link",
    section: "Rooms",
    usage: "<remote room id>",
    summary: "link this room to a remote room (room moderators)",
    run: async (ctx) => {
      const [id, ...rest] = ctx.args;
      if (id === undefined) throw new CommandUsageError("Which room? Give the remote room's id.");
      if (rest.length > 0) throw new CommandUsageError("link takes a single room id.");
      if (ctx.isManagementRoom) {
        await ctx.reply("Send link in the room you want to link, not in your DM with me.");
        return;
      }
      await answering(ctx, async () => {
        const link = await get().link(ctx.roomId, remoteRoomId(id), ctx.sender);
        return (
          `Linked this room to ${link.remoteRoomId}. Relay mode is off: messages from Matrix users without a ` +
          `${get().networkName} identity are not bridged until a moderator turns it on with the relay command.`
        );
      });
    },
  });

  registry.register({
    name: "unlink",
    section: "Rooms",
    summary: "end this room's link to a remote room (room moderators)",
    run: async (ctx) => {
      if (ctx.args.length > 0) throw new CommandUsageError("unlink takes no arguments.");
      await answering(ctx, async () => {
        const link = await get().unlink(ctx.roomId, ctx.sender);
        return `Unlinked this room from ${link.remoteRoomId}.`;
      });
    },
  });

  registry.register({
    name: "relay",
    section: "Rooms",
    usage: "[on|off]",
    summary: "show or switch relaying of Matrix users without a remote identity (room moderators)",
    run: async (ctx) => {
      const [choice, ...rest] = ctx.args;
      if (rest.length > 0) throw new CommandUsageError("relay takes on, off, or nothing.");
      const network = get().networkName;
      const explain = (on: boolean): string =>
        on
          ? `messages from Matrix users without a ${network} identity are sent by the bridge with their name.`
          : `only Matrix users with their own ${network} identity are bridged.`;
      if (choice === undefined) {
        const [link] = await get().links(ctx.roomId);
        if (link === undefined) {
          await ctx.reply(`This room is not bridged to ${network}.`);
          return;
        }
        const on = link.relay === true;
        const paused =
          link.paused === "encrypted"
            ? " Bridging is paused: this room is end-to-end encrypted, which the bridge cannot read or send yet."
            : "";
        await ctx.reply(`Relay mode is ${on ? "on" : "off"} in this room: ${explain(on)}${paused}`);
        return;
      }
      const wanted = choice.toLowerCase();
      if (wanted !== "on" && wanted !== "off")
        throw new CommandUsageError(`Say "on" or "off", not "${choice.slice(0, 40)}".`);
      await answering(ctx, async () => {
        const link = await get().setRelay(ctx.roomId, wanted === "on", ctx.sender);
        const on = link.relay === true;
        return `Relay mode is now ${on ? "on" : "off"}: ${explain(on)}`;
      });
    },
  });
}
