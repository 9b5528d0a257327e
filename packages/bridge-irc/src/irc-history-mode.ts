// Channel history (+H lines:duration, InspIRCd's chanhistory) is what lets the bridge recover what was said while it
// was away: the server replays it when the bot joins again. Where the admins asked for it (`channel_history.set_mode`)
// the bot sets the mode on bridged channels that lack it, once it is an operator there; it asks the server for the
// channel's modes first, so that a value the channel's operators chose is kept.

import type { Logger } from "bridge-core";
import { type IrcConnection, ircLower } from "./irc-connection.ts";

export interface IrcHistoryModeOptions {
  bot: IrcConnection;
  /** The mode's parameter, `lines:duration`. */
  value: string;
  logger: Logger;
}

interface ModeChange {
  mode: string;
  param?: string | null;
}

/** Prefix modes that may set channel modes: operator, admin, owner. */
const OPERATOR_MODES = new Set(["o", "a", "q"]);

/** Sets +H, from now on, on each bridged channel that lacks it as soon as the bot is an operator there. */
export function keepChannelHistoryMode(options: IrcHistoryModeOptions): void {
  const { bot, value, logger } = options;
  /** Channels (lower-case) whose modes were asked for, to set +H once they are known. */
  const asked = new Set<string>();
  const serverHasHistoryMode = (): boolean => {
    // irc-framework keeps CHANMODES split into its groups: lists, always a parameter, a parameter when set, none.
    const groups: unknown = bot.client.network.supports("CHANMODES");
    return Array.isArray(groups) && groups.slice(1, 3).some((group) => String(group).includes("H"));
  };
  const askModes = (channel: string): void => {
    if (!serverHasHistoryMode() || !bot.isRegistered) return;
    asked.add(ircLower(channel));
    bot.send("MODE", channel);
  };

  const client = bot.client;
  client.on("userlist", (e: { channel: string; users: { nick: string; modes?: string[] }[] }) => {
    const me = e.users.find((u) => ircLower(u.nick) === ircLower(bot.nick));
    if (me?.modes?.some((mode) => OPERATOR_MODES.has(mode))) askModes(e.channel);
  });
  client.on("mode", (e: { target: string; modes: ModeChange[] }) => {
    const opped = e.modes.some(
      (m) =>
        m.mode.startsWith("+") &&
        OPERATOR_MODES.has(m.mode.slice(1)) &&
        typeof m.param === "string" &&
        ircLower(m.param) === ircLower(bot.nick),
    );
    if (opped && bot.channels.has(ircLower(e.target))) askModes(e.target);
  });
  client.on("channel info", (e: { channel: string; modes?: ModeChange[] }) => {
    const key = ircLower(e.channel);
    if (e.modes === undefined || !asked.delete(key)) return;
    if (e.modes.some((m) => m.mode === "+H")) return;
    logger.info("setting channel history", { channel: e.channel, mode: `+H ${value}` });
    bot.send("MODE", e.channel, "+H", value);
  });
}
