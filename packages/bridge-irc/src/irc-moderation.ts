// Channel moderation seen by the bot, reported to the core: kicks (by whom, why), operator status as power levels
// (op 50, admin/owner 100), and +i/+k as the room's join rule. What the bridge's own puppets did came from Matrix,
// where it already happened, so it is not reported back.

import { type Logger, type RemoteEvents, type RemoteUserInfo, remoteRoomId } from "bridge-core";
import { ircLower } from "./formatting/mentions.ts";
import type { IrcConnection } from "./irc-connection.ts";
import type { NickIdentities } from "./nick-identities.ts";

/** Channel prefix modes and the Matrix power level they stand for. */
const PREFIX_POWER: Record<string, number> = { q: 100, a: 100, o: 50, h: 50 };

interface ModeChange {
  mode: string;
  param?: string;
}

export interface ModerationOptions {
  bot: IrcConnection;
  remote: RemoteEvents;
  logger: Logger;
  isPuppet: (nick: string) => boolean;
  identities: NickIdentities;
}

/** Reports, from now on, the moderation the bot sees in its channels. */
export function reportModeration(options: ModerationOptions): void {
  const { bot, remote, logger, isPuppet, identities } = options;
  /** Per channel, the join-restricting modes set now (`i`, `k`), so that one going away does not open a keyed room. */
  const restrictions = new Map<string, Set<string>>();
  const isOurs = (nick: string) => nick === bot.nick || isPuppet(nick);
  const user = (nick: string): RemoteUserInfo => ({ id: identities.identify(nick), displayName: nick });
  const report = (result: Promise<void>) =>
    result.catch((err: unknown) => logger.error("could not bridge a moderation change to Matrix", { err }));
  const power = (channel: string, nick: string, level: number) =>
    report(remote.power({ roomId: remoteRoomId(ircLower(channel)), user: user(nick), level }));

  const client = bot.client;
  client.on("kick", (e: { kicked: string; nick: string; channel: string; message?: string }) => {
    if (isOurs(e.nick)) return;
    report(
      remote.kick({
        roomId: remoteRoomId(ircLower(e.channel)),
        sender: user(e.nick),
        target: user(e.kicked),
        ban: false,
        ...(e.message && e.message !== e.kicked && { reason: e.message }),
      }),
    );
  });

  client.on("mode", (e: { target: string; nick: string; modes: ModeChange[] }) => {
    if (!/^[#&]/.test(e.target) || isOurs(e.nick)) return;
    const channel = ircLower(e.target);
    const restricted = restrictions.get(channel) ?? new Set<string>();
    const wasRestricted = restricted.size > 0;
    for (const { mode, param } of e.modes) {
      const adding = mode.startsWith("+");
      const letter = mode.slice(1);
      // A puppet given operator status is reported too: the core maps it to its Matrix user.
      if (letter in PREFIX_POWER && param !== undefined && param !== bot.nick) {
        power(channel, param, adding ? (PREFIX_POWER[letter] ?? 0) : 0);
      } else if (letter === "b" && adding && param !== undefined) {
        // A ban naming one nick (`nick!*@*`) bans that person's ghost or Matrix user; wider masks are left alone.
        const nick = /^([^!*?@]+)!\*@\*$/.exec(param)?.[1];
        if (nick !== undefined && nick !== bot.nick) {
          report(
            remote.kick({
              roomId: remoteRoomId(channel),
              sender: user(e.nick),
              target: user(nick),
              ban: true,
            }),
          );
        }
      } else if (letter === "i" || letter === "k") {
        if (adding) restricted.add(letter);
        else restricted.delete(letter);
      }
    }
    restrictions.set(channel, restricted);
    if (wasRestricted !== restricted.size > 0) {
      const joinRule = restricted.size > 0 ? "invite" : "public";
      report(remote.roomInfo({ id: remoteRoomId(channel), joinRule }));
    }
  });

  client.on("userlist", (e: { channel: string; users: { nick: string; modes: string[] }[] }) => {
    // Operators already in the channel when the bot arrives get their power in the room too.
    for (const member of e.users) {
      const level = Math.max(0, ...member.modes.map((m) => PREFIX_POWER[m] ?? 0));
      if (level > 0 && member.nick !== bot.nick) power(e.channel, member.nick, level);
    }
  });
}
