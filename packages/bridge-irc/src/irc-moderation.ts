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

export class IrcModeration {
  private readonly remote: RemoteEvents;
  private readonly logger: Logger;
  private readonly isPuppet: (nick: string) => boolean;
  private readonly bot: IrcConnection;
  private readonly identities: NickIdentities;
  /** Per channel, the join-restricting modes set now (`i`, `k`), so that one going away does not open a keyed room. */
  private readonly restrictions = new Map<string, Set<string>>();

  constructor(options: {
    bot: IrcConnection;
    remote: RemoteEvents;
    logger: Logger;
    isPuppet: (nick: string) => boolean;
    identities: NickIdentities;
  }) {
    this.bot = options.bot;
    this.identities = options.identities;
    this.remote = options.remote;
    this.logger = options.logger;
    this.isPuppet = options.isPuppet;
    const client = this.bot.client;
    client.on("kick", (e: { kicked: string; nick: string; channel: string; message?: string }) =>
      this.onKick(e),
    );
    client.on("mode", (e: { target: string; nick: string; modes: ModeChange[] }) => this.onMode(e));
    client.on("userlist", (e: { channel: string; users: { nick: string; modes: string[] }[] }) => {
      // Operators already in the channel when the bot arrives get their power in the room too.
      for (const user of e.users) {
        const level = Math.max(0, ...user.modes.map((m) => PREFIX_POWER[m] ?? 0));
        if (level > 0 && user.nick !== this.bot.nick) this.report(this.power(e.channel, user.nick, level));
      }
    });
  }

  private isOurs(nick: string): boolean {
    return nick === this.bot.nick || this.isPuppet(nick);
  }

  private user(nick: string): RemoteUserInfo {
    return { id: this.identities.identify(nick), displayName: nick };
  }

  private report(result: Promise<void>): void {
    result.catch((err: unknown) =>
      this.logger.error("could not bridge a moderation change to Matrix", { err }),
    );
  }

  private power(channel: string, nick: string, level: number): Promise<void> {
    return this.remote.power({ roomId: remoteRoomId(ircLower(channel)), user: this.user(nick), level });
  }

  private onKick(e: { kicked: string; nick: string; channel: string; message?: string }): void {
    if (this.isOurs(e.nick)) return;
    this.report(
      this.remote.kick({
        roomId: remoteRoomId(ircLower(e.channel)),
        sender: this.user(e.nick),
        target: this.user(e.kicked),
        ban: false,
        ...(e.message && e.message !== e.kicked && { reason: e.message }),
      }),
    );
  }

  private onMode(e: { target: string; nick: string; modes: ModeChange[] }): void {
    if (!/^[#&]/.test(e.target) || this.isOurs(e.nick)) return;
    const channel = ircLower(e.target);
    const restricted = this.restrictions.get(channel) ?? new Set<string>();
    const wasRestricted = restricted.size > 0;
    for (const { mode, param } of e.modes) {
      const adding = mode.startsWith("+");
      const letter = mode.slice(1);
      // A puppet given operator status is reported too: the core maps it to its Matrix user.
      if (letter in PREFIX_POWER && param !== undefined && param !== this.bot.nick) {
        this.report(this.power(channel, param, adding ? (PREFIX_POWER[letter] ?? 0) : 0));
      } else if (letter === "b" && adding && param !== undefined) {
        // A ban naming one nick (`nick!*@*`) bans that person's ghost or Matrix user; wider masks are left alone.
        const nick = /^([^!*?@]+)!\*@\*$/.exec(param)?.[1];
        if (nick !== undefined && nick !== this.bot.nick) {
          this.report(
            this.remote.kick({
              roomId: remoteRoomId(channel),
              sender: this.user(e.nick),
              target: this.user(nick),
              ban: true,
            }),
          );
        }
      } else if (letter === "i" || letter === "k") {
        if (adding) restricted.add(letter);
        else restricted.delete(letter);
      }
    }
    this.restrictions.set(channel, restricted);
    if (wasRestricted !== restricted.size > 0) {
      const joinRule = restricted.size > 0 ? "invite" : "public";
      this.report(this.remote.roomInfo({ id: remoteRoomId(channel), joinRule }));
    }
  }
}
