// Matrix → XMPP: what Matrix users do, sent as their puppets (or, in relay mode, as the bot) into the MUC, or as a
// 1:1 chat to a contact's JID. A puppet joins the room the first time it needs to be there, under its user's display
// name; a room's refusal (nick taken, banned, members only) reaches the user as the reason their message failed.

import { randomUUID } from "node:crypto";
import type { Element } from "@xmpp/xml";
import {
  type DeliveryResult,
  type MatrixEdit,
  type MatrixKick,
  type MatrixMessage,
  type MatrixPowerLevels,
  type MatrixReaction,
  type MatrixReadReceipt,
  type MatrixRedaction,
  type MatrixTyping,
  PermanentDeliveryError,
  type RemoteMessageId,
  remoteMessageId,
  type UserId,
} from "bridge-core";
import type { HttpUpload } from "./http-upload.ts";
import { bareJid, type Jid, parseJid } from "./jid.ts";
import type { MessageIds } from "./message-ids.ts";
import { MucJoinError, type MucRooms } from "./muc-rooms.ts";
import { fileBody, outgoingBody } from "./outgoing-body.ts";
import {
  chatState,
  displayedMarker,
  type MessageType,
  mucAdmin,
  reactions,
  retraction,
  subjectChange,
  textMessage,
} from "./outgoing-stanzas.ts";
import { PUPPET_RESOURCE, type PuppetJids } from "./puppet-jids.ts";
import type { PuppetPresence } from "./puppet-presence.ts";
import type { Reflections } from "./reflections.ts";
import type { MentionName } from "./rich-to-styling.ts";
import { mucOf } from "./room-ids.ts";
import { describeStanzaError } from "./stanza-errors.ts";
import type { Transport } from "./transport.ts";
import { nickFrom } from "./xml-text.ts";

type Side = Pick<MatrixMessage, "sender" | "senderName" | "as" | "remoteRoomId" | "direct">;

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

/** Where a Matrix event goes, and as whom. */
interface Route {
  from: string;
  to: string;
  type: MessageType;
  /** The MUC, for groupchat; its bare JID names the conversation. */
  room?: Jid;
  conversation: string;
  /** The sender's nick in the room (their own id for corrections is kept under it). */
  senderKey: string;
}

const REACTION_PREFIX = "reaction ";

export class Outbound {
  private readonly deps: {
    transport: Pick<Transport, "send" | "request">;
    /** The full JID of a Matrix user's own logged-in account, when they have one. */
    accountJid: (userId: UserId) => string | undefined;
    rooms: MucRooms;
    reflections: Reflections;
    ids: MessageIds;
    puppets: PuppetJids;
    storage: Storage;
    botJid: string;
    timeoutMs: number;
    contacts: Pick<PuppetPresence, "noteContact">;
    upload: Pick<HttpUpload, "upload">;
  };

  constructor(deps: Outbound["deps"]) {
    this.deps = deps;
  }

  /** Where a Matrix user's stanzas come from: their own account, else their puppet JID on the component. */
  private puppetJid(userId: UserId): string {
    const account = this.deps.accountJid(userId);
    if (account !== undefined) return account;
    const bare = this.deps.puppets.bareOf(userId);
    if (bare === null)
      throw new PermanentDeliveryError("your Matrix id cannot be an XMPP address (it has capitals)");
    return `${bare}/${PUPPET_RESOURCE}`;
  }

  /** The puppet (or bot) in the room, joined if need be; or the contact for a DM. */
  async route(side: Side, options: { join: boolean } = { join: true }): Promise<Route | null> {
    if (side.direct !== undefined) {
      if (side.as.kind !== "puppet")
        throw new PermanentDeliveryError("private chats need your own XMPP address");
      const to = parseJid(side.direct);
      if (to === null) throw new PermanentDeliveryError(`${side.direct} is not an XMPP address`);
      const from = this.puppetJid(side.sender);
      await this.deps.contacts.noteContact(from.split("/")[0]!, bareJid(to));
      return { from, to: bareJid(to), type: "chat", conversation: bareJid(to), senderKey: from };
    }
    const room = mucOf(side.remoteRoomId);
    if (room === null) throw new PermanentDeliveryError(`${side.remoteRoomId} is not a MUC`);
    const from = side.as.kind === "puppet" ? this.puppetJid(side.sender) : this.deps.botJid;
    let nick = this.deps.rooms.nickOf(from, room);
    if (nick === undefined) {
      if (!options.join) return null;
      nick = await this.joinAs(from, room, side);
    }
    return { from, to: bareJid(room), type: "groupchat", room, conversation: bareJid(room), senderKey: nick };
  }

  private async joinAs(from: string, room: Jid, side: Side): Promise<string> {
    if (from === this.deps.botJid) throw new Error(`the bridge is not in ${bareJid(room)}`);
    const name = nickFrom(side.senderName, "Matrix user");
    try {
      return await this.deps.rooms.join(from, room, [name, `${name}[m]`, `${name}[matrix]`], {
        maxstanzas: 0,
      });
    } catch (err) {
      if (err instanceof MucJoinError) throw new PermanentDeliveryError(err.message);
      throw err;
    }
  }

  /** Sends and, in a room, waits for the reflection: the message's id is then the room's stanza-id. */
  private async send(route: Route, stanza: Element): Promise<RemoteMessageId> {
    const id = stanza.attrs["id"]!;
    const reflected =
      route.type === "groupchat" ? this.deps.reflections.expect(route.from, id, this.deps.timeoutMs) : null;
    await this.deps.transport.send(stanza);
    const canonical = remoteMessageId((await reflected) ?? id);
    await this.deps.ids.remember(route.conversation, route.senderKey, id, canonical);
    return canonical;
  }

  async message(message: MatrixMessage): Promise<DeliveryResult> {
    const route = (await this.route(message))!;
    let body = outgoingBody(message, this.mentionName(route));
    let oobUrl: string | undefined;
    if (message.media !== undefined) {
      oobUrl = (await this.deps.upload.upload(message.media)) ?? message.media.link();
      body = fileBody(oobUrl, message.as);
    }
    const stanza = textMessage({
      from: route.from,
      to: route.to,
      type: route.type,
      id: randomUUID(),
      body,
      ...(message.reply?.to !== undefined && { reply: { id: message.reply.to } }),
      ...(oobUrl !== undefined && { oobUrl }),
    });
    return { remoteMessageId: await this.send(route, stanza) };
  }

  /** A correction by the same occupant (the bot's, for a relayed message), its body written like the message's. */
  async edit(edit: MatrixEdit): Promise<void> {
    const route = (await this.route(edit))!;
    const target = await this.deps.ids.senderIdOf(route.conversation, edit.target);
    const stanza = textMessage({
      from: route.from,
      to: route.to,
      type: route.type,
      id: randomUUID(),
      body: outgoingBody(edit, this.mentionName(route)),
      replace: target,
    });
    await this.send(route, stanza);
  }

  /** Mentions in a room are written as the nick the person has there, which XMPP clients highlight. */
  private mentionName(route: Route): MentionName {
    const { room } = route;
    return (mention) =>
      (room === undefined ? undefined : this.occupantNick(room, mention.user)) ?? mention.name;
  }

  async redaction(redaction: MatrixRedaction): Promise<void> {
    if (redaction.target.startsWith(REACTION_PREFIX)) return this.unreact(redaction);
    const route = (await this.route(redaction))!;
    // In a room, the room's stanza-id names the message for everyone; in a 1:1 chat, the sender's own id does.
    const target =
      route.type === "groupchat"
        ? redaction.target
        : await this.deps.ids.senderIdOf(route.conversation, redaction.target);
    await this.send(
      route,
      retraction({ from: route.from, to: route.to, type: route.type, id: randomUUID(), target }),
    );
  }

  private reactionsKey(route: Route, target: string): string {
    return `own-reactions ${route.conversation} ${route.from} ${target}`;
  }

  async reaction(reaction: MatrixReaction): Promise<DeliveryResult> {
    const route = (await this.route(reaction))!;
    const key = this.reactionsKey(route, reaction.target);
    const keys = new Set((await this.deps.storage.get(key)) as string[] | undefined);
    keys.add(reaction.key);
    await this.sendReactions(route, reaction.target, [...keys]);
    await this.deps.storage.put(key, [...keys]);
    return {
      remoteMessageId: remoteMessageId(
        `${REACTION_PREFIX}${JSON.stringify([reaction.target, reaction.key])}`,
      ),
    };
  }

  private async unreact(redaction: MatrixRedaction): Promise<void> {
    const [target, reactionKey] = JSON.parse(redaction.target.slice(REACTION_PREFIX.length)) as [
      string,
      string,
    ];
    const route = (await this.route(redaction))!;
    const key = this.reactionsKey(route, target);
    const keys = new Set((await this.deps.storage.get(key)) as string[] | undefined);
    keys.delete(reactionKey);
    await this.sendReactions(route, target, [...keys]);
    await this.deps.storage.put(key, [...keys]);
  }

  private async sendReactions(route: Route, target: string, keys: string[]): Promise<void> {
    const id = randomUUID();
    const messageId =
      route.type === "groupchat"
        ? target
        : await this.deps.ids.senderIdOf(route.conversation, remoteMessageId(target));
    await this.send(
      route,
      reactions({ from: route.from, to: route.to, type: route.type, id, target: messageId, keys }),
    );
  }

  /** Typing in a room the puppet is not in yet is not worth joining for. */
  async typing(typing: MatrixTyping): Promise<void> {
    const route = await this.route(typing, { join: false });
    if (route === null) return;
    const state = typing.typing ? "composing" : "paused";
    await this.deps.transport.send(
      chatState({ from: route.from, to: route.to, type: route.type, id: randomUUID(), state }),
    );
  }

  /**
   * A Matrix moderator's kick or ban of an occupant's ghost, done by their puppet (which needs the room's rights). A
   * ban needs the occupant's real JID, which only some rooms show; without it the ban is refused and the user told.
   */
  async kick(kick: MatrixKick): Promise<void> {
    const route = (await this.route(kick))!;
    const target = parseJid(kick.target);
    if (route.room === undefined || target === null || bareJid(target) !== bareJid(route.room)) {
      throw new PermanentDeliveryError(`${kick.target} is not in ${kick.remoteRoomId}`);
    }
    const reason = kick.reason ?? "";
    const request = (item: { nick: string; role: "none" } | { jid: string; affiliation: "outcast" }) =>
      this.deps.transport
        .request(
          mucAdmin({ from: route.from, room: route.to, id: randomUUID(), item, reason }),
          this.deps.timeoutMs,
        )
        .catch((err: unknown) => {
          const condition = (err as { condition?: string }).condition ?? String(err);
          throw new PermanentDeliveryError(`the room refused: ${describeStanzaError({ condition })}`);
        });
    if (!kick.ban) {
      await request({ nick: target.resource, role: "none" });
      return;
    }
    const jid = this.deps.rooms.occupants.realJidOf(route.room, target.resource);
    if (jid === undefined) {
      throw new PermanentDeliveryError(
        `the room does not show ${target.resource}'s address, so they cannot be banned`,
      );
    }
    await request({ jid, affiliation: "outcast" });
  }

  /**
   * Power levels given on Matrix, as MUC roles: 50 and up makes the occupant a moderator, less a participant. The
   * sender's occupant asks, so the room decides whether they may; affiliations (owner, admin) are left as they are.
   */
  async powerLevels(change: MatrixPowerLevels): Promise<void> {
    if (change.direct !== undefined) return;
    const route = await this.route(change);
    if (route?.room === undefined) return;
    const refused: string[] = [];
    for (const { user, level } of change.changes) {
      const nick = this.occupantNick(route.room, user);
      if (nick === undefined) continue;
      if (this.deps.rooms.occupants.levelOf(route.room, nick) >= 50 === level >= 50) continue;
      const item = { nick, role: level >= 50 ? ("moderator" as const) : ("participant" as const) };
      await this.deps.transport
        .request(mucAdmin({ from: route.from, room: route.to, id: randomUUID(), item }), this.deps.timeoutMs)
        .catch((err: unknown) => {
          const condition = (err as { condition?: string }).condition ?? String(err);
          refused.push(`${nick}: ${describeStanzaError({ condition })}`);
        });
    }
    if (refused.length > 0) throw new PermanentDeliveryError(`the room refused: ${refused.join("; ")}`);
  }

  /** The nick in `room` of a remote user: an occupant (its JID names the nick) or a Matrix user's puppet. */
  private occupantNick(room: Jid, user: string): string | undefined {
    const jid = parseJid(user);
    if (jid === null) return undefined;
    if (bareJid(jid) === bareJid(room)) return jid.resource || undefined;
    if (this.deps.puppets.userOf(jid) === null) return undefined;
    return this.deps.rooms.nickOf(`${bareJid(jid)}/${PUPPET_RESOURCE}`, room);
  }

  /** A read receipt, as an XEP-0333 marker; like typing, not worth joining a room for. */
  async readReceipt(receipt: MatrixReadReceipt): Promise<void> {
    const route = await this.route(receipt, { join: false });
    if (route === null || receipt.upTo.startsWith(REACTION_PREFIX)) return;
    // In a room the room's stanza-id names the message for everyone; in a 1:1 chat the sender's own id does.
    const target =
      route.type === "groupchat"
        ? receipt.upTo
        : await this.deps.ids.senderIdOf(route.conversation, receipt.upTo);
    await this.deps.transport.send(
      displayedMarker({ from: route.from, to: route.to, type: route.type, id: randomUUID(), target }),
    );
  }

  async topic(side: Side, topic: string): Promise<void> {
    const route = (await this.route(side))!;
    await this.deps.transport.send(
      subjectChange({ from: route.from, to: route.to, id: randomUUID(), subject: topic }),
    );
  }
}
