// The XMPP network plugin: one XEP-0114 component connection carries the bot, which sits in every bridged MUC and
// reports what happens there, and a puppet JID for every Matrix user, which speaks for them (or, without a component,
// a relay account carries the bot, which relays for everyone: main-connection.ts). Stanza reading and
// building live in incoming-stanzas.ts and outgoing-stanzas.ts; the two directions in inbound.ts and outbound.ts.

import {
  type DeliveryResult,
  type MatrixEdit,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixPowerLevels,
  type MatrixPresence,
  type MatrixReaction,
  type MatrixReadReceipt,
  type MatrixRedaction,
  type MatrixRoomChange,
  type MatrixTyping,
  type NetworkContext,
  type NetworkInfo,
  type NetworkPlugin,
  type PuppetLogin,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteUserId,
  type ThirdPartyLookup,
  type UserId,
} from "bridge-core";
import { sessionOf } from "./client-logins.ts";
import type { XmppConfig } from "./config.ts";
import { bareJid, type Jid, parseJid, unescapeLocal } from "./jid.ts";
import { botJidOf } from "./main-connection.ts";
import { NS } from "./namespaces.ts";
import { discoInfo, mucLeave } from "./outgoing-stanzas.ts";
import { PUPPET_RESOURCE, PuppetJids } from "./puppet-jids.ts";
import { jidOfUser, mucOf, roomIdOf } from "./room-ids.ts";
import { makeXmppParts, type XmppParts } from "./xmpp-parts.ts";
import { xmppThirdParty } from "./xmpp-third-party.ts";

export class XmppNetwork implements NetworkPlugin {
  readonly info: NetworkInfo;
  readonly thirdParty: ThirdPartyLookup;
  private readonly config: XmppConfig;
  private readonly context: NetworkContext;
  private readonly puppets: PuppetJids;
  private readonly botJid: string;
  private readonly timeoutMs: number;
  private readonly parts: XmppParts;
  private nextIq = 1;

  /** `config` is the checked `context.config` (parseXmppConfig). Nothing connects before `start()`. */
  constructor(config: XmppConfig, context: NetworkContext) {
    this.config = config;
    this.context = context;
    this.puppets = new PuppetJids(config.component?.domain ?? null);
    this.botJid = botJidOf(config);
    this.timeoutMs = config.request_timeout_seconds * 1000;
    this.thirdParty = xmppThirdParty({ desc: config.name });
    this.info = {
      id: "xmpp",
      displayName: config.name,
      ghostTemplate: "xmpp_{id}",
      aliasTemplate: "xmpp_{id}",
      // A relay account is the bridge's only identity on XMPP, so every room relays.
      ...(config.relay !== undefined && { relayByDefault: true }),
    };
    // The component secret and the relay account's password: an error from the connection may quote them.
    if (config.component !== undefined) context.logger.addSecret(config.component.secret);
    if (config.relay !== undefined) context.logger.addSecret(config.relay.password);
    this.parts = makeXmppParts({
      config,
      context,
      puppets: this.puppets,
      botJid: this.botJid,
      timeoutMs: this.timeoutMs,
    });
  }

  async start(): Promise<void> {
    const { context, parts } = this;
    const { connection, rooms } = parts;
    connection.onStateChange((up, reason) =>
      context.connectionState(
        up
          ? { connection: "bot", state: "CONNECTED" }
          : {
              connection: "bot",
              state: "TRANSIENT_DISCONNECT",
              error: "xmpp-disconnected",
              ...(reason !== undefined && { reason }),
            },
      ),
    );
    context.connectionState({ connection: "bot", state: "CONNECTING" });
    connection.onReconnect(() => {
      // The rooms dropped everyone of the bridge with the old stream; the bot rejoins, puppets when next needed.
      rooms.forgetAll();
      this.rejoinAll().catch((err: unknown) => context.logger.error("could not rejoin the MUCs", { err }));
    });
    await connection.start();
    context.logger.info("connected to XMPP", {
      as: this.config.component !== undefined ? "component" : "relay account",
      jid: this.botJid,
    });
    await this.rejoinAll();
    await this.restoreLogins();
  }

  /** Users who logged in with their own accounts before this start are logged in again. */
  private async restoreLogins(): Promise<void> {
    const { context } = this;
    const { accounts } = this.parts;
    for (const { userId, login } of await context.savedLogins()) {
      const session = sessionOf(login);
      if (session === null) continue;
      context.logger.addSecret(session.password);
      await accounts.login(userId, session).catch((err: unknown) =>
        context.logger.warn("could not log a user in again", {
          userId,
          err: err instanceof Error ? err.message : err,
        }),
      );
    }
    context.puppetsConnected(accounts.count);
  }

  /** `login user@example.org password`: the user's own XMPP account speaks for them from now on. */
  async login(userId: UserId, _args: string[], text: string): Promise<PuppetLogin> {
    // The password is everything after the address and the spaces after it, exactly as typed: spaces inside it (and
    // several in a row) are part of it.
    const [, jid, password] = /^(\S+)\s+([\s\S]+)$/u.exec(text) ?? [];
    if (jid === undefined || password === undefined)
      throw new Error("usage: login user@example.org password");
    const { accounts, rooms } = this.parts;
    this.context.logger.addSecret(password);
    const login = await accounts.login(userId, { jid, password });
    this.context.puppetsConnected(accounts.count);
    // The puppet makes way, so that the account can take its nick wherever the user goes next.
    const puppet = this.puppets.bareOf(userId);
    if (puppet !== null) await rooms.leaveAll(`${puppet}/${PUPPET_RESOURCE}`, "Using their own account now");
    return login;
  }

  async logout(userId: UserId): Promise<void> {
    const { accounts, rooms } = this.parts;
    const full = accounts.fullJidOf(userId);
    await accounts.logout(userId);
    // The server takes the account out of its rooms as its stream closes.
    if (full !== undefined) rooms.forgetJid(full);
    this.context.puppetsConnected(accounts.count);
  }

  private async rejoinAll(): Promise<void> {
    const { context } = this;
    for (const id of await context.linkedRooms()) {
      const room = mucOf(id);
      if (room === null) continue;
      await this.joinAsBot(room).catch((err: unknown) =>
        context.logger.warn("could not rejoin a MUC", {
          room: id,
          err: err instanceof Error ? err.message : err,
        }),
      );
    }
  }

  /**
   * The bot joins with the history it missed: everything since the last message it bridged from there, or, for a new
   * portal, the configured number of recent messages. What it already bridged comes again with the same stanza-id
   * and the core recognises it.
   */
  private async joinAsBot(room: Jid): Promise<void> {
    const lastSeen = await this.context.storage.get(`last-seen ${bareJid(room)}`);
    const history =
      typeof lastSeen === "number"
        ? { since: new Date(lastSeen) }
        : { maxstanzas: this.config.history_on_join };
    const nick = this.config.bot_nick;
    await this.parts.rooms.join(this.botJid, room, [nick, `${nick}_`, `${nick}__`], history);
  }

  async stop(): Promise<void> {
    const { reflections, rooms, transport, accounts, connection } = this.parts;
    reflections.cancelAll();
    // A component that just goes away stays an occupant in some servers' eyes: everyone leaves explicitly.
    for (const { localJid, room, nick } of rooms.forgetAll()) {
      const occupant = `${bareJid(room)}/${nick}`;
      await transport
        .send(mucLeave({ from: localJid, occupant, status: "Bridge shutting down" }))
        .catch(() => {});
    }
    await accounts.logoutAll();
    await connection.stop();
  }

  /** Asks the room what it is; null when it does not exist (or cannot be reached). */
  private async discoRoom(room: Jid): Promise<{ name?: string } | null> {
    try {
      const answer = await this.parts.transport.request(
        discoInfo({ from: this.botJid, to: bareJid(room), id: `disco-${this.nextIq++}` }),
        this.timeoutMs,
      );
      const identity = answer.getChild("query", NS.discoInfo)?.getChild("identity");
      if (identity?.attrs["category"] !== "conference") return null;
      const name = identity.attrs["name"];
      return name ? { name } : {};
    } catch {
      return null;
    }
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    const room = mucOf(id);
    if (room === null) return null;
    const info = await this.discoRoom(room);
    if (info === null) return null;
    await this.joinAsBot(room);
    return { id: roomIdOf(room), name: info.name ?? bareJid(room) };
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    const jid = jidOfUser(id);
    if (jid === null || jid.domain === this.config.component?.domain) return null;
    if (jid.resource !== "") return { id, displayName: jid.resource };
    return { id, displayName: unescapeLocal(jid.local) ?? jid.local };
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const room = mucOf(id);
    if (room === null) return [];
    return this.parts.rooms
      .membersOf(room)
      .slice(0, limit)
      .map((nick) => ({ id: remoteUserId(`${bareJid(room)}/${nick}`), displayName: nick }));
  }

  async validateLink(id: RemoteRoomId, _requester: UserId): Promise<string | null> {
    const room = mucOf(id);
    if (room === null)
      return `${id} is not a MUC: write room@conference.example.org as room_conference.example.org`;
    if ((await this.discoRoom(room)) === null) return `${bareJid(room)} does not exist or cannot be reached`;
    return null;
  }

  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    const bare = this.puppets.bareOf(userId);
    return bare === null ? null : remoteUserId(bare);
  }

  matrixUserOf(id: RemoteUserId): UserId | null {
    const jid = parseJid(id);
    if (jid === null) return null;
    return this.puppets.userOf(jid) ?? this.parts.accounts.userOf(bareJid(jid)) ?? null;
  }

  sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    return this.parts.outbound.message(message);
  }

  sendEdit(edit: MatrixEdit): Promise<void> {
    return this.parts.outbound.edit(edit);
  }

  sendRedaction(redaction: MatrixRedaction): Promise<void> {
    return this.parts.outbound.redaction(redaction);
  }

  sendReaction(reaction: MatrixReaction): Promise<DeliveryResult> {
    return this.parts.outbound.reaction(reaction);
  }

  sendTyping(typing: MatrixTyping): Promise<void> {
    return this.parts.outbound.typing(typing);
  }

  sendReadReceipt(receipt: MatrixReadReceipt): Promise<void> {
    return this.parts.outbound.readReceipt(receipt);
  }

  handlePowerLevels(change: MatrixPowerLevels): Promise<void> {
    return this.parts.outbound.powerLevels(change);
  }

  sendPresence(presence: MatrixPresence): Promise<void> {
    return this.parts.presence.send(presence);
  }

  async handleRoomChange(change: MatrixRoomChange): Promise<void> {
    if (change.topic === undefined || change.as.kind !== "puppet") return;
    await this.parts.outbound.topic(change, change.topic);
  }

  handleKick(kick: MatrixKick): Promise<void> {
    return this.parts.outbound.kick(kick);
  }

  async handleMembership(membership: MatrixMembership): Promise<void> {
    if (membership.as.kind !== "puppet") return;
    if (membership.membership === "join") {
      await this.parts.outbound.route(membership);
      return;
    }
    const room = mucOf(membership.remoteRoomId);
    const bare = this.puppets.bareOf(membership.sender);
    if (room !== null && bare !== null) await this.parts.rooms.leave(`${bare}/${PUPPET_RESOURCE}`, room);
  }
}
