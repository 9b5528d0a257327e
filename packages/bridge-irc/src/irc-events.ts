// What the bot's connection sees in bridged channels, reported to the core: messages, actions and notices,
// joins, parts, quits, kicks, nick changes and topics. Lines from the bridge's own puppets are its own echo and are
// not reported. Channel membership is tracked here, for quits (which name no channel) and initial member lists.

import {
  type Logger,
  type RemoteEvents,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
} from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ircToMatrix } from "./formatting/irc-to-matrix.ts";
import { type IrcConnection, ircLower } from "./irc-connection.ts";

export class IrcEvents {
  private readonly bot: IrcConnection;
  private readonly remote: RemoteEvents;
  private readonly logger: Logger;
  private readonly isPuppet: (nick: string) => boolean;
  /** channel (lower-case) → nicks in it, in the order the server listed them. */
  private readonly members = new Map<string, string[]>();
  private readonly topics = new Map<string, string>();
  private nextId = 1;

  constructor(options: {
    bot: IrcConnection;
    remote: RemoteEvents;
    logger: Logger;
    isPuppet: (nick: string) => boolean;
  }) {
    this.bot = options.bot;
    this.remote = options.remote;
    this.logger = options.logger;
    this.isPuppet = options.isPuppet;
    const client = this.bot.client;
    client.on("privmsg", (e: MessageEvent) => this.onMessage(e, "m.text"));
    client.on("action", (e: MessageEvent) => this.onMessage(e, "m.emote"));
    client.on("notice", (e: MessageEvent) => this.onMessage(e, "m.notice"));
    client.on("userlist", (e: { channel: string; users: { nick: string }[] }) => {
      this.members.set(
        ircLower(e.channel),
        e.users.map((u) => u.nick),
      );
    });
    client.on("join", (e: { nick: string; channel: string }) => this.onJoin(e.nick, e.channel));
    client.on("part", (e: { nick: string; channel: string; message?: string }) =>
      this.onLeave(e.nick, e.channel, e.message),
    );
    client.on("kick", (e: { kicked: string; nick: string; channel: string; message?: string }) =>
      this.onLeave(e.kicked, e.channel, `kicked by ${e.nick}${e.message ? `: ${e.message}` : ""}`),
    );
    client.on("quit", (e: { nick: string; message?: string }) => {
      for (const [channel, nicks] of this.members)
        if (nicks.includes(e.nick)) this.onLeave(e.nick, channel, e.message);
    });
    client.on("nick", (e: { nick: string; new_nick: string }) => this.onNickChange(e.nick, e.new_nick));
    client.on("topic", (e: { channel: string; topic: string; nick?: string }) => {
      const channel = ircLower(e.channel);
      this.topics.set(channel, e.topic);
      // The topic sent on join (no setter) describes the room as it is; a change names who made it.
      if (e.nick) this.report(this.remote.roomInfo({ id: remoteRoomId(channel), topic: e.topic }));
    });
  }

  topicOf(channel: string): string | undefined {
    return this.topics.get(ircLower(channel));
  }

  membersOf(channel: string): string[] {
    return this.members.get(ircLower(channel)) ?? [];
  }

  /** Ours (the bot or a puppet): already on Matrix, or not a person. */
  private isOurs(nick: string): boolean {
    return nick === this.bot.nick || this.isPuppet(nick);
  }

  private user(nick: string): RemoteUserInfo {
    return { id: remoteUserId(ircLower(nick)), displayName: nick };
  }

  private report(result: Promise<void>): void {
    result.catch((err: unknown) => this.logger.error("could not bridge an IRC event to Matrix", { err }));
  }

  private onMessage(e: MessageEvent, msgtype: "m.text" | "m.emote" | "m.notice"): void {
    if (!/^[#&]/.test(e.target) || !e.nick || this.isOurs(e.nick)) return;
    const { body, html } = ircToMatrix(e.message);
    const id = e.tags["msgid"] ?? `in-${Date.now()}-${this.nextId++}`;
    this.report(
      this.remote.message({
        roomId: remoteRoomId(ircLower(e.target)),
        sender: this.user(e.nick),
        id: remoteMessageId(id),
        msgtype,
        body,
        ...(html !== undefined && { html }),
      }),
    );
  }

  private onJoin(nick: string, channel: string): void {
    const key = ircLower(channel);
    const nicks = this.members.get(key) ?? [];
    if (!nicks.includes(nick)) this.members.set(key, [...nicks, nick]);
    if (this.isOurs(nick)) return;
    this.report(
      this.remote.membership({ roomId: remoteRoomId(key), sender: this.user(nick), membership: "join" }),
    );
  }

  private onLeave(nick: string, channel: string, reason: string | undefined): void {
    const key = ircLower(channel);
    this.members.set(
      key,
      (this.members.get(key) ?? []).filter((n) => n !== nick),
    );
    if (this.isOurs(nick)) return;
    this.report(
      this.remote.membership({
        roomId: remoteRoomId(key),
        sender: this.user(nick),
        membership: "leave",
        ...(reason !== undefined && reason !== "" && { reason }),
      }),
    );
  }

  /** On IRC a nick is the identity: a new nick is a new ghost, so the old one leaves and the new one joins. */
  private onNickChange(oldNick: string, newNick: string): void {
    for (const [channel, nicks] of this.members) {
      if (!nicks.includes(oldNick)) continue;
      this.onLeave(oldNick, channel, `now known as ${newNick}`);
      this.onJoin(newNick, channel);
    }
  }
}
