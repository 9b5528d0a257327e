// XMPP → Matrix: every stanza the component receives, reported to the core. Groupchat messages count only as the
// bot receives them (each occupant of the bridge gets its own copy), and never when they come from the bridge's own
// nicks (the room reflecting what a puppet said). Private messages to a puppet's JID open a DM with its Matrix user.

import type { Element } from "@xmpp/xml";
import {
  type Logger,
  type MxcUri,
  type RemoteEvents,
  type RemoteMessageId,
  type RemoteUserInfo,
  type RichText,
  remoteMessageId,
  type TextKind,
  type UserId,
} from "bridge-core";
import { type IncomingMessage, readMessage } from "./incoming-stanzas.ts";
import { bareJid, fullJid, type Jid, parseJid } from "./jid.ts";
import type { MessageIds } from "./message-ids.ts";
import type { OccupantChange, OccupantPower } from "./muc-occupants.ts";
import type { MucRooms } from "./muc-rooms.ts";
import { NS } from "./namespaces.ts";
import type { PepAvatars } from "./pep-avatars.ts";
import { type PresenceInfo, readPresence } from "./presence.ts";
import type { PuppetJids } from "./puppet-jids.ts";
import type { PuppetPresence } from "./puppet-presence.ts";
import type { Reflections } from "./reflections.ts";
import { roomIdOf, userIdOf } from "./room-ids.ts";
import type { SharedFiles } from "./shared-files.ts";
import { parseStyling } from "./styling.ts";
import type { VCardAvatars } from "./vcard-avatars.ts";

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

/** The id of one person's reaction with one key, so that taking it back names the same thing. */
export function reactionId(target: string, sender: string, key: string): RemoteMessageId {
  return remoteMessageId(`reaction ${target} ${sender} ${key}`);
}

export class Inbound {
  private readonly deps: {
    botJid: string;
    rooms: MucRooms;
    reflections: Reflections;
    ids: MessageIds;
    puppets: PuppetJids;
    /** The Matrix user logged in with their own account as this bare JID. */
    accountUser: (bare: string) => UserId | undefined;
    storage: Storage;
    remote: RemoteEvents;
    files: SharedFiles;
    avatars: VCardAvatars;
    pepAvatars: PepAvatars;
    contacts: Pick<PuppetPresence, "noteContact">;
    logger: Logger;
  };
  /** Contact bare JID → when their avatar was last looked up. */
  private readonly avatarChecks = new Map<string, number>();
  /** The chain of work per conversation, so that what a room says reaches the core in order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(deps: Inbound["deps"]) {
    this.deps = deps;
  }

  handle(stanza: Element): void {
    if (stanza.name === "presence") {
      if (!this.deps.rooms.handlePresence(stanza)) this.contactPresence(stanza);
      return;
    }
    if (stanza.name !== "message") return;
    const message = readMessage(stanza, (from) => bareJid(from));
    if (message === null || this.deps.reflections.handle(message)) return;
    const groupchat = message.type === "groupchat" && message.from.resource !== "";
    const roomMessage = message.type === "groupchat";
    const key = roomMessage ? bareJid(message.from) : `${bareJid(message.from)} ${bareJid(message.to)}`;
    this.inOrder(key, () => (roomMessage ? this.fromRoom(message, groupchat) : this.direct(message)));
  }

  /** An occupant of a bridged room joined, left, was kicked or banned, or changed nick. */
  occupant(change: OccupantChange): void {
    const roomId = roomIdOf(change.room);
    const sender = this.occupantInfo(change.room, change.nick);
    const remote = this.deps.remote;
    const report = async () => {
      switch (change.change) {
        case "join":
          return remote.membership({ roomId, sender, membership: "join" });
        case "nick":
          // A new nick is a new occupant JID, and so another ghost: the old one leaves as the new one arrives.
          await remote.membership({
            roomId,
            sender,
            membership: "leave",
            reason: `now known as ${change.newNick}`,
          });
          return remote.membership({
            roomId,
            sender: this.occupantInfo(change.room, change.newNick!),
            membership: "join",
          });
        case "leave":
          return remote.membership({
            roomId,
            sender,
            membership: "leave",
            ...(change.reason && { reason: change.reason }),
          });
        case "kick":
        case "ban":
          return this.removal(change);
      }
    };
    this.inOrder(bareJid(change.room), report);
  }

  /**
   * A kick or ban: from whoever the room names as its actor. A puppet removed from the room is its Matrix user
   * removed from the portal; without an actor, only a ghost can be shown leaving (with the reason).
   */
  private async removal(change: OccupantChange): Promise<void> {
    const roomId = roomIdOf(change.room);
    const remote = this.deps.remote;
    const bridgeJid = change.bridgeJid === undefined ? null : parseJid(change.bridgeJid);
    const target =
      bridgeJid !== null
        ? { id: userIdOf({ ...bridgeJid, resource: "" }), displayName: change.nick }
        : this.occupantInfo(change.room, change.nick);
    const ban = change.change === "ban";
    // Removed by a puppet: a Matrix user's kick or ban, already done on Matrix.
    if (change.actor !== undefined && this.deps.rooms.isBridgeNick(change.room, change.actor)) return;
    if (change.actor !== undefined) {
      const sender = this.occupantInfo(change.room, change.actor);
      await remote.kick({ roomId, sender, target, ban, ...(change.reason && { reason: change.reason }) });
    } else if (bridgeJid === null) {
      const reason = `${ban ? "banned" : "kicked"}${change.reason ? `: ${change.reason}` : ""}`;
      await remote.membership({ roomId, sender: target, membership: "leave", reason });
    }
  }

  /** An occupant announced a new vCard photo: their ghost takes it as its avatar. */
  photo(room: Jid, nick: string): void {
    this.inOrder(bareJid(room), async () => {
      const avatarUrl = await this.deps.avatars.avatarOf(`${bareJid(room)}/${nick}`);
      if (avatarUrl !== null) await this.deps.remote.profile({ ...this.occupantInfo(room, nick), avatarUrl });
    });
  }

  /** An occupant's availability or status text changed: their ghost's Matrix presence follows. */
  occupantPresence(room: Jid, nick: string, presence: PresenceInfo): void {
    const user = this.occupantInfo(room, nick);
    this.inOrder(bareJid(room), async () => {
      await this.deps.remote.presence({ user, ...presence });
    });
  }

  /**
   * A contact's presence sent to a Matrix user's JID (directed to a puppet, or from the roster of a user's own
   * account): the contact's ghost shows it. What comes from a MUC, or from the bridge's own JIDs, is no contact's.
   */
  private contactPresence(stanza: Element): void {
    const from = parseJid(stanza.attrs["from"] ?? "");
    const to = parseJid(stanza.attrs["to"] ?? "");
    const presence = readPresence(stanza);
    if (from === null || to === null || presence === null || stanza.getChild("x", NS.mucUser)) return;
    const contact = { ...from, resource: "" };
    const bare = bareJid(contact);
    if (this.deps.puppets.userOf(to) === null && this.deps.accountUser(bareJid(to)) === undefined) return;
    if (contact.domain === this.deps.puppets.domain || this.deps.accountUser(bare) !== undefined) return;
    const user = { id: userIdOf(contact), displayName: contact.local || contact.domain };
    this.inOrder(`presence ${bare}`, async () => {
      await this.deps.remote.presence({ user, ...presence });
    });
  }

  /** An occupant's affiliation or role changed; a puppet's standing is its Matrix user's. */
  power(power: OccupantPower): void {
    const bridgeJid = power.bridgeJid === undefined ? null : parseJid(power.bridgeJid);
    const user =
      bridgeJid !== null
        ? { id: userIdOf({ ...bridgeJid, resource: "" }), displayName: power.nick }
        : this.occupantInfo(power.room, power.nick);
    this.inOrder(bareJid(power.room), () =>
      this.deps.remote.power({ roomId: roomIdOf(power.room), user, level: power.level }),
    );
  }

  /** Runs `task` after everything before it from the same conversation. */
  private inOrder(key: string, task: () => Promise<void>): void {
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => this.deps.logger.error("could not bridge an XMPP event", { key, err }));
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private occupantInfo(room: Jid, nick: string): RemoteUserInfo {
    return { id: userIdOf({ ...room, resource: nick }), displayName: nick };
  }

  private async fromRoom(message: IncomingMessage, fromOccupant: boolean): Promise<void> {
    const { rooms, ids, botJid } = this.deps;
    // Each occupant of the bridge gets a copy; the bot's is the one that counts.
    if (fullJid(message.to) !== botJid) return;
    const room = { ...message.from, resource: "" };
    const roomId = roomIdOf(room);
    const remote = this.deps.remote;
    if (message.kind === "subject") {
      await remote.roomInfo({ id: roomId, topic: message.subject });
      return;
    }
    const nick = message.from.resource;
    if (!fromOccupant || rooms.isBridgeNick(room, nick)) return;
    const sender = this.occupantInfo(room, nick);
    const conversation = bareJid(room);
    switch (message.kind) {
      case "text": {
        const id = ids.canonical(message, `${conversation}/${nick}`);
        if (message.id !== undefined) await ids.remember(conversation, nick, message.id, id);
        const replyTo =
          message.replyTo === undefined
            ? undefined
            : await ids.fromSenderId(conversation, nick, message.replyTo);
        const media = await this.deps.files.of(message);
        await remote.message({
          roomId,
          sender,
          id,
          ...textContent(message.body, media !== undefined),
          ...(media !== undefined && { media }),
          ...(replyTo !== undefined && { replyTo }),
          ...(message.sentAt !== undefined && { timestamp: message.sentAt }),
        });
        await this.noteSeen(conversation, message.sentAt ?? Date.now());
        return;
      }
      case "correction": {
        const target = await ids.fromSenderId(conversation, nick, message.target);
        await remote.edit({ roomId, sender, target, text: textContent(message.body).text });
        return;
      }
      case "retraction":
        await remote.deletion({
          roomId,
          sender,
          target: await ids.fromSenderId(conversation, nick, message.target),
        });
        return;
      case "reactions":
        await this.reactions(roomId, sender, conversation, nick, message.target, message.keys);
        return;
      case "chat-state":
        await remote.typing({ roomId, sender, typing: message.state === "composing" });
        return;
      case "displayed":
        await remote.receipt({ roomId, sender, upTo: remoteMessageId(message.target) });
        return;
      case "error":
        this.deps.logger.warn("the room sent an error", { room: conversation, error: message.error });
        return;
    }
  }

  /** The newest message bridged from a room, from where the next join asks for history; never moves back. */
  private async noteSeen(conversation: string, at: number): Promise<void> {
    const key = `last-seen ${conversation}`;
    const before = await this.deps.storage.get(key);
    if (typeof before !== "number" || at > before) await this.deps.storage.put(key, at);
  }

  /** XEP-0444 sends the sender's whole set each time; Matrix wants each reaction added or removed on its own. */
  private async reactions(
    roomId: ReturnType<typeof roomIdOf>,
    sender: RemoteUserInfo,
    conversation: string,
    nick: string,
    targetId: string,
    keys: string[],
  ): Promise<void> {
    const target = await this.deps.ids.fromSenderId(conversation, nick, targetId);
    const storeKey = `reactions ${conversation} ${target} ${nick}`;
    const before = new Set((await this.deps.storage.get(storeKey)) as string[] | undefined);
    const now = new Set(keys);
    const remote = this.deps.remote;
    for (const key of now) {
      if (!before.has(key))
        await remote.reaction({ roomId, sender, id: reactionId(target, nick, key), target, key });
    }
    for (const key of before) {
      if (!now.has(key)) await remote.reactionRemoved({ roomId, sender, id: reactionId(target, nick, key) });
    }
    await this.deps.storage.put(storeKey, [...now]);
  }

  /** A contact's avatar (XEP-0084, else their vCard's photo), looked up at most hourly; null when not due or none. */
  private async contactAvatar(bare: string): Promise<MxcUri | null> {
    const last = this.avatarChecks.get(bare);
    if (last !== undefined && Date.now() - last < AVATAR_RECHECK_MS) return null;
    this.avatarChecks.set(bare, Date.now());
    return (await this.deps.pepAvatars.avatarOf(bare)) ?? (await this.deps.avatars.avatarOf(bare));
  }

  /** A 1:1 message to a puppet's JID: the DM of its Matrix user with the sender's ghost. */
  private async direct(message: IncomingMessage): Promise<void> {
    const to = this.deps.puppets.userOf(message.to) ?? this.deps.accountUser(bareJid(message.to)) ?? null;
    if (to === null || message.kind !== "text") return;
    const from = { ...message.from, resource: "" };
    // Private messages through a MUC come from an occupant JID, whose bare part is the room: not a contact.
    if (this.deps.rooms.botRooms().some((room) => bareJid(room) === bareJid(from))) return;
    await this.deps.contacts.noteContact(bareJid(message.to), bareJid(from));
    const id = this.deps.ids.canonical(message, bareJid(from));
    const media = await this.deps.files.of(message);
    const avatarUrl = await this.contactAvatar(bareJid(from));
    await this.deps.remote.directMessage({
      from: {
        id: userIdOf(from),
        displayName: from.local || from.domain,
        ...(avatarUrl !== null && { avatarUrl }),
      },
      to,
      id,
      ...textContent(message.body, media !== undefined),
      ...(media !== undefined && { media }),
      ...(message.sentAt !== undefined && { timestamp: message.sentAt }),
    });
  }
}

/** How often a contact's avatar is looked up again: no notification of a new one reaches the bridge's JIDs. */
const AVATAR_RECHECK_MS = 60 * 60 * 1000;

/**
 * A body as the core wants it: `/me` as an emote, styling as rich text. The body of a shared file is only its link,
 * no caption.
 */
export function textContent(body: string, isFile = false): { kind: TextKind; text: RichText } {
  const emote = body.startsWith("/me ");
  return {
    kind: emote ? "emote" : "text",
    text: isFile ? [] : parseStyling(emote ? body.slice(4) : body),
  };
}
