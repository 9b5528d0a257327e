// What the bot's connection sees in bridged channels, reported to the core: messages, actions and notices,
// joins, parts, quits, kicks, nick changes and topics. Lines from the bridge's own puppets are its own echo and are
// not reported. Channel membership is tracked here, for quits (which name no channel) and initial member lists.
// Two kinds of churn are smoothed over: netsplits (leaves wait for the split to heal, see netsplit.ts), and the bot's
// own outages, after which the member lists it gets on rejoining are compared with the ones it had.
// A channel's history replayed on join (a `chathistory` batch) holds what was said while the bridge was away: those
// lines are bridged like live ones, in order, and the ones bridged before are skipped by the core, by their msgid.

import {
  type Logger,
  type RemoteEvents,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  type TextKind,
} from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ircToRichText } from "./formatting/irc-to-rich-text.ts";
import { type IrcConnection, ircLower } from "./irc-connection.ts";
import { isNetsplitQuit, NetsplitDebounce } from "./netsplit.ts";
import type { NickIdentities } from "./nick-identities.ts";
import { PUPPET_USERNAME } from "./puppet-pool.ts";

export interface IrcEventsOptions {
  bot: IrcConnection;
  remote: RemoteEvents;
  logger: Logger;
  isPuppet: (nick: string) => boolean;
  /**
   * Lower-case nicks of Matrix users' puppets → their remote user ids: mentions of them become mentions (pills, on
   * Matrix). `taken` tells whether an IRC user in a bridged channel has a nick now, for puppets that are gone.
   */
  knownNicks?: (taken: (lowerNick: string) => boolean) => ReadonlyMap<string, string>;
  /** How long a leave in a netsplit waits for the user to come back; 0 bridges it at once. */
  netsplitGraceMs?: number;
  /** Who is who across nick changes, shared with the rest of the plugin. */
  identities: NickIdentities;
  /** Bridge lines a channel's history replays on join; defaults to true. */
  replayHistory?: boolean;
}

export class IrcEvents {
  private readonly bot: IrcConnection;
  private readonly remote: RemoteEvents;
  private readonly logger: Logger;
  private readonly isPuppet: (nick: string) => boolean;
  private readonly knownNicks: (taken: (lowerNick: string) => boolean) => ReadonlyMap<string, string>;
  private readonly netsplits: NetsplitDebounce;
  private readonly identities: NickIdentities;
  /** channel (lower-case) → nicks in it, in the order the server listed them. */
  private readonly members = new Map<string, string[]>();
  private readonly topics = new Map<string, string>();
  /** Channels whose next member list is the one after a reconnect, to compare with what was known before. */
  private readonly rejoining = new Set<string>();
  private readonly replayHistory: boolean;
  /** Channels (lower-case) whose next replayed history predates their portal, so is not bridged. */
  private readonly historyToSkip = new Set<string>();
  /** The bot's username and host as the server shows them, from its own JOIN. */
  private botMask: { ident: string; hostname: string } | undefined;
  private nextId = 1;

  constructor(options: IrcEventsOptions) {
    this.bot = options.bot;
    this.remote = options.remote;
    this.logger = options.logger;
    this.isPuppet = options.isPuppet;
    this.knownNicks = options.knownNicks ?? (() => new Map());
    this.netsplits = new NetsplitDebounce(options.netsplitGraceMs ?? 0);
    this.identities = options.identities;
    this.replayHistory = options.replayHistory ?? true;
    const client = this.bot.client;
    client.on("privmsg", (e: MessageEvent) => this.onMessage(e, "text"));
    client.on("action", (e: MessageEvent) => this.onMessage(e, "emote"));
    client.on("notice", (e: MessageEvent) => this.onMessage(e, "notice"));
    client.on("userlist", (e: { channel: string; users: { nick: string }[] }) =>
      this.onMemberList(
        e.channel,
        e.users.map((u) => u.nick),
      ),
    );
    client.on("socket close", () => {
      for (const channel of this.members.keys()) this.rejoining.add(channel);
      // Rejoining after an outage, the channels are bridged ones: their history is what the bridge missed.
      this.historyToSkip.clear();
    });
    client.on("batch end chathistory", (e: { params: string[] }) => {
      if (e.params[0] !== undefined) this.historyToSkip.delete(ircLower(e.params[0]));
    });
    client.on("join", (e: { nick: string; ident?: string; hostname?: string; channel: string }) => {
      if (ircLower(e.nick) === ircLower(this.bot.nick) && e.ident && e.hostname) {
        this.botMask = { ident: e.ident, hostname: e.hostname };
      }
      this.onJoin(e.nick, e.channel);
    });
    client.on("part", (e: { nick: string; channel: string; message?: string }) =>
      this.onLeave(e.nick, e.channel, e.message),
    );
    // Kicks are reported as kicks by irc-moderation.ts; here they only end the membership the bridge tracks.
    client.on("kick", (e: { kicked: string; channel: string }) =>
      this.removeMember(e.kicked, ircLower(e.channel)),
    );
    client.on("quit", (e: { nick: string; message?: string }) => this.onQuit(e.nick, e.message));
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

  /** The nick as the server spells it, for a lower-case one, if anyone in a bridged channel has it. */
  spellingOf(lowerNick: string): string | undefined {
    for (const nicks of this.members.values()) {
      const found = nicks.find((nick) => ircLower(nick) === lowerNick);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Whether someone on IRC (not the bridge) has this lower-case nick in a bridged channel now. */
  isIrcUsers(lowerNick: string): boolean {
    return (
      [...this.members.values()].some((nicks) => nicks.some((nick) => ircLower(nick) === lowerNick)) &&
      !this.isOurs(lowerNick)
    );
  }

  /**
   * The history the server replays when the bot next joins `channel` was said before its portal existed: a new
   * portal starts from what is said after it was made.
   */
  skipNextHistory(channel: string): void {
    this.historyToSkip.add(ircLower(channel));
  }

  /** Leaves still waiting for a netsplit to heal. */
  get heldLeaves(): number {
    return this.netsplits.pending;
  }

  stop(): void {
    this.netsplits.clear();
  }

  /** Ours (the bot or a puppet): already on Matrix, or not a person. */
  private isOurs(nick: string): boolean {
    return ircLower(nick) === ircLower(this.bot.nick) || this.isPuppet(nick);
  }

  private user(nick: string): RemoteUserInfo {
    return { id: this.identities.identify(nick), displayName: nick };
  }

  private report(result: Promise<void>): void {
    result.catch((err: unknown) => this.logger.error("could not bridge an IRC event to Matrix", { err }));
  }

  /**
   * A replayed line from the bridge's own connections: puppets that have not reconnected since a restart are not
   * known by nick yet, but they (and the bot) connect from the bot's host with the bot's or the puppets' username.
   */
  private isFromBridge(e: MessageEvent): boolean {
    const mask = this.botMask;
    if (mask === undefined || e.hostname !== mask.hostname) return false;
    // Servers mark a username no ident server confirmed with a leading ~.
    const ident = e.ident.replace(/^~/, "");
    return ident === mask.ident.replace(/^~/, "") || ident === PUPPET_USERNAME;
  }

  /** Whether a line the server replayed from the channel's history should be bridged. */
  private bridgesReplayed(e: MessageEvent): boolean {
    if (!this.replayHistory || this.historyToSkip.has(ircLower(e.target))) return false;
    // Without a msgid, a replayed line cannot be told apart from one bridged before it.
    return e.tags["msgid"] !== undefined && !this.isFromBridge(e);
  }

  private onMessage(e: MessageEvent, kind: TextKind): void {
    if (!/^[#&]/.test(e.target) || !e.nick || this.isOurs(e.nick)) return;
    const replayed = e.batch?.type === "chathistory";
    if (replayed && !this.bridgesReplayed(e)) return;
    // Only puppets' nicks become mentions: an IRC user's ghost carries their nick as its name already, and
    // notifying it would reach nobody.
    const text = ircToRichText(e.message, { knownNicks: this.knownNicks((nick) => this.isIrcUsers(nick)) });
    const id = e.tags["msgid"] ?? `in-${Date.now()}-${this.nextId++}`;
    this.report(
      this.remote.message({
        roomId: remoteRoomId(ircLower(e.target)),
        sender: this.user(e.nick),
        id: remoteMessageId(id),
        kind,
        text,
        ...(replayed && e.time !== undefined && { timestamp: e.time }),
      }),
    );
  }

  private onMemberList(channel: string, nicks: string[]): void {
    const key = ircLower(channel);
    const before = this.members.get(key);
    this.members.set(key, nicks);
    if (!this.rejoining.delete(key) || before === undefined) return;
    // Back after an outage: whoever came or went meanwhile did so unseen.
    const now = new Set(nicks.map((n) => ircLower(n)));
    const then = new Set(before.map((n) => ircLower(n)));
    for (const nick of before) {
      if (!now.has(ircLower(nick)) && !this.isOurs(nick))
        this.reportLeave(nick, key, "left while the bridge was away");
    }
    for (const nick of nicks) {
      if (!then.has(ircLower(nick)) && !this.isOurs(nick)) this.reportJoin(nick, key);
    }
  }

  private onJoin(nick: string, channel: string): void {
    const key = ircLower(channel);
    const nicks = this.members.get(key) ?? [];
    if (!nicks.some((n) => ircLower(n) === ircLower(nick))) this.members.set(key, [...nicks, nick]);
    if (this.isOurs(nick)) return;
    // Back from a netsplit before the grace time ran out: on Matrix they never left.
    if (this.netsplits.rejoined(nick, key)) return;
    this.reportJoin(nick, key);
  }

  private removeMember(nick: string, key: string): void {
    const lower = ircLower(nick);
    this.members.set(
      key,
      (this.members.get(key) ?? []).filter((n) => ircLower(n) !== lower),
    );
  }

  private onLeave(nick: string, channel: string, reason: string | undefined): void {
    const key = ircLower(channel);
    this.removeMember(nick, key);
    if (this.isOurs(nick)) return;
    this.reportLeave(nick, key, reason);
  }

  private onQuit(nick: string, message: string | undefined): void {
    const lower = ircLower(nick);
    const split = this.netsplits.enabled && isNetsplitQuit(message);
    for (const [key, nicks] of this.members) {
      if (!nicks.some((n) => ircLower(n) === lower)) continue;
      this.removeMember(nick, key);
      if (this.isOurs(nick)) continue;
      if (split) this.netsplits.hold(nick, key, () => this.reportLeave(nick, key, message));
      else this.reportLeave(nick, key, message);
    }
  }

  private reportJoin(nick: string, key: string): void {
    this.report(
      this.remote.membership({ roomId: remoteRoomId(key), sender: this.user(nick), membership: "join" }),
    );
  }

  private reportLeave(nick: string, key: string, reason: string | undefined): void {
    const sender = this.user(nick);
    // Gone from every bridged channel: the next person with this nick is someone new.
    const lower = ircLower(nick);
    if (![...this.members.values()].some((nicks) => nicks.some((n) => ircLower(n) === lower))) {
      this.identities.forget(nick);
    }
    this.report(
      this.remote.membership({
        roomId: remoteRoomId(key),
        sender,
        membership: "leave",
        ...(reason !== undefined && reason !== "" && { reason }),
      }),
    );
  }

  /** The same person under a new nick: their ghost is renamed, in every room at once. */
  private onNickChange(oldNick: string, newNick: string): void {
    const lower = ircLower(oldNick);
    let seen = false;
    for (const [channel, nicks] of this.members) {
      if (!nicks.some((n) => ircLower(n) === lower)) continue;
      seen = true;
      this.members.set(
        channel,
        nicks.map((n) => (ircLower(n) === lower ? newNick : n)),
      );
    }
    if (!seen || this.isOurs(newNick)) return;
    const id = this.identities.renamed(oldNick, newNick);
    this.report(this.remote.profile({ id, displayName: newNick }));
  }
}
