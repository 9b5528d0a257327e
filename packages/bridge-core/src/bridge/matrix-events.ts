// What the bridge does with each Matrix event the homeserver sent, once it is its turn in the room's queue: keep
// track of membership, leave the bot's own rooms (invites, commands) to bot-rooms.ts, and pass what users say in
// bridged rooms on to the network (matrix-to-remote.ts, matrix-room-actions.ts, matrix-ephemeral.ts, all through
// network-door.ts).

import type { CommandRegistry } from "../commands/registry.ts";
import type { BridgeCrypto } from "../crypto/bridge-crypto.ts";
import {
  isEventId,
  isRoomId,
  isUserId,
  type RemoteRoomId,
  type RemoteUserId,
  type RoomId,
  type UserId,
} from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import { LruMap } from "../matrix/lru-map.ts";
import type { Membership, MembershipCache } from "../matrix/membership-cache.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import type { BridgeStore, InboxEntry, MatrixEventJson, RoomLink } from "../store/store.ts";
import { BotRooms } from "./bot-rooms.ts";
import type { DirectChats } from "./direct-chats.ts";
import type { DisplayNames } from "./display-names.ts";
import {
  ENCRYPTION_STATE,
  type EncryptedRooms,
  inviteShowsEncryption,
  showsEncryption,
} from "./encrypted-rooms.ts";
import { obj, str } from "./matrix-content.ts";
import type { MatrixEphemeral } from "./matrix-ephemeral.ts";
import type { MatrixRoomActions } from "./matrix-room-actions.ts";
import type { MatrixToRemote } from "./matrix-to-remote.ts";
import type { Naming } from "./naming.ts";
import type { Permissions } from "./permissions.ts";
import type { Plumbing } from "./plumbing.ts";
import { changedUserLevels } from "./power-levels.ts";
import { DOUBLE_PUPPET_SOURCE, type Puppets } from "./puppets.ts";
import { TimelineGaps } from "./timeline-gaps.ts";
import type { UserGate } from "./user-gate.ts";

const MEMBERSHIPS = new Set(["join", "invite", "leave", "ban", "knock"]);
const RECENT_EVENTS = 10_000;
/** What `encryption.require` drops when it was not encrypted: what users write, not what the room's state is. */
const WRITTEN_TYPES = new Set(["m.room.message", "m.reaction", "m.sticker"]);
/** The events a bridged room's timeline is read back for (see timeline-gaps.ts). */
const GAP_CHECKED_TYPES = new Set(["m.room.message", "m.room.redaction", "m.reaction"]);

export interface MatrixEventDeps {
  store: BridgeStore;
  intents: IntentFactory;
  cache: MembershipCache;
  naming: Naming;
  commands: CommandRegistry;
  networkName: string;
  permissions: Permissions;
  /** Whether a user may be bridged at all; every path acting for a Matrix user on the network asks it. */
  gate: UserGate;
  encrypted: EncryptedRooms;
  /** End-to-end encryption when `encryption.allow` (null otherwise): events are decrypted before they are handled. */
  crypto: () => BridgeCrypto | null;
  /** `encryption.require`: messages that were not encrypted are neither bridged nor run as commands. */
  encryptionRequired: boolean;
  plumbing: Plumbing;
  puppets: Puppets;
  displayNames: DisplayNames;
  /** Finds or makes a remote room's portal and invites a user into it: its alias (Portals.openFor). */
  openPortal: (id: RemoteRoomId, userId: UserId) => Promise<string>;
  toRemote: MatrixToRemote;
  roomActions: MatrixRoomActions;
  directChats: DirectChats;
  ephemeral: MatrixEphemeral;
  bridgeId: string;
  /** The bridge's per-room order of work, which events found missing join. */
  queue: KeyedQueue;
  gapCheckDelayMs: number;
  logger: Logger;
}

export interface HandlingOutcome {
  heldCredentials: boolean;
  /**
   * Store writes the handling started and did not wait for (the event's mappings): waited for together with the
   * inbox entry's completion, which joins them in one write (inbox-dispatch.ts).
   */
  writes: Promise<void>[];
}

/**
 * Marks an accepted entry handled. Asked for in the same turn as the event's mappings (`outcome.writes`), the
 * completion goes to disk in the same write (the store groups the writes of a turn); this resolves once both are
 * there. A crash before that write leaves neither, and the entry is handled again (resumed: see inbox-resume.ts).
 */
export async function completeHandling(
  store: BridgeStore,
  seq: number,
  outcome: HandlingOutcome | undefined,
): Promise<void> {
  const completed = store.completeInbox(seq, { scrub: outcome?.heldCredentials ?? false });
  await Promise.all([...(outcome?.writes ?? []), completed]);
}

export class MatrixEventHandler {
  private readonly deps: MatrixEventDeps;
  private readonly recentlyHandled = new LruMap<string, true>(RECENT_EVENTS);
  private readonly gaps: TimelineGaps;
  private readonly botRooms: BotRooms;

  constructor(deps: MatrixEventDeps) {
    this.deps = deps;
    this.botRooms = new BotRooms({ ...deps, handleAccepted: (entry) => this.handleAccepted(entry) });
    this.gaps = new TimelineGaps({
      client: deps.intents.client,
      botUserId: deps.naming.botUserId,
      canRead: (roomId) => deps.cache.isJoined(roomId, deps.naming.botUserId),
      concerns: (event) => {
        const sender = str(event["sender"]);
        return (
          GAP_CHECKED_TYPES.has(event.type) &&
          isUserId(sender) &&
          !deps.naming.isBridgeUser(sender) &&
          obj(event["content"])[DOUBLE_PUPPET_SOURCE] !== deps.bridgeId
        );
      },
      seen: (eventId) => this.recentlyHandled.get(eventId) === true,
      accept: (events) => deps.store.acceptRecovered(events.map((event) => ({ kind: "timeline", event }))),
      handle: (entry) => this.handleAccepted(entry),
      queue: deps.queue,
      logger: deps.logger,
      delayMs: deps.gapCheckDelayMs,
      lastHeard: deps.store.lastAcceptedBeforeOpen,
    });
  }

  /** A transaction arrived from the homeserver with the entries it brought; `replayed`: one it had delivered before. */
  noteTransaction(replayed: boolean, entries: readonly InboxEntry[]): void {
    this.gaps.noteTransaction(replayed, entries);
  }

  /** No more reading back of timelines. */
  stop(): void {
    this.gaps.stop();
  }

  /**
   * Handles one accepted event. The outcome says whether the event held credentials (a login typed into a room), so
   * that the store removes every trace of it instead of only marking it done.
   */
  async handle(entry: InboxEntry): Promise<HandlingOutcome> {
    const outcome: HandlingOutcome = { heldCredentials: false, writes: [] };
    await this.gaps.recoverBefore(entry);
    const crypto = this.deps.crypto();
    const readable = crypto === null ? entry : await crypto.readable(entry);
    if (readable !== null) await this.route(readable, outcome, readable !== entry);
    return outcome;
  }

  private async route(entry: InboxEntry, outcome: HandlingOutcome, wasEncrypted: boolean): Promise<void> {
    const event = entry.event;
    const roomId = str(event["room_id"]);
    const sender = str(event["sender"]);
    this.deps.logger.debug("handling event", {
      seq: entry.seq,
      kind: entry.kind,
      type: event.type,
      roomId,
      eventId: event["event_id"],
    });
    if (entry.kind === "ephemeral") return this.deps.ephemeral.handle(event, entry.receivedAt);
    if (entry.kind !== "timeline" || !isRoomId(roomId) || !isUserId(sender)) return;
    if (event.type === "m.room.member") return this.onMembership(roomId, sender, event);
    // Loop prevention: what the bot or a ghost sent, or what the bridge sent as a real user, came from this bridge.
    if (this.deps.naming.isBridgeUser(sender)) return;
    if (obj(event["content"])[DOUBLE_PUPPET_SOURCE] === this.deps.bridgeId) return;
    if (this.deps.encryptionRequired && !wasEncrypted && WRITTEN_TYPES.has(event.type)) {
      this.deps.logger.info("not bridging an unencrypted message: encryption.require is on", {
        roomId,
        sender,
      });
      return;
    }
    return this.onRoomEvent(roomId, sender, event, entry, outcome);
  }

  private async onRoomEvent(
    roomId: RoomId,
    sender: UserId,
    event: MatrixEventJson,
    { receivedAt, resumed }: Pick<InboxEntry, "receivedAt" | "resumed">,
    outcome: HandlingOutcome,
  ) {
    // The same event can reach the bridge twice (a transaction and the catch-up after a join); handle it once.
    const eventId = str(event["event_id"]);
    if (eventId !== undefined) {
      if (this.recentlyHandled.get(eventId)) return;
      this.recentlyHandled.set(eventId, true);
    }
    if (showsEncryption(event)) {
      const crypto = this.deps.crypto();
      // With encryption on, a room turning it on simply goes on encrypted; messages came here decrypted.
      if (crypto !== null) {
        if (event.type === ENCRYPTION_STATE) crypto.rooms.noteEncrypted(roomId);
        return;
      }
      // Encrypted messages (and commands) cannot be read: the room is told so, once, instead of met with silence.
      return this.deps.encrypted.noticed(roomId, sender, event.type);
    }
    if (event.type === "m.room.message" && (await this.botRooms.ranCommand(roomId, sender, event, outcome)))
      return;
    const link = await this.deps.store.getRoomLinkByMatrix(roomId);
    if (link === null || link.paused !== undefined) return;
    if (!(await this.deps.gate.admit(roomId, sender, this.speakerIn(link)))) return;
    const ts = event["origin_server_ts"];
    // The bot reads the timeline back, so only rooms it is in (a private chat holds just the user and a ghost).
    if (
      isEventId(eventId) &&
      typeof ts === "number" &&
      this.deps.cache.isJoined(roomId, this.deps.naming.botUserId)
    )
      this.gaps.noteHandled(roomId, eventId, ts);
    const { toRemote, roomActions } = this.deps;
    const { writes } = outcome;
    if (event.type === "m.room.message")
      await toRemote.message(link, sender, event, receivedAt, resumed, writes);
    else if (event.type === "m.room.redaction") await toRemote.redaction(link, sender, event, receivedAt);
    else if (event.type === "m.reaction") await toRemote.reaction(link, sender, event, receivedAt, writes);
    else if (event.type === "m.room.topic" || event.type === "m.room.name") {
      await roomActions.roomChange(link, sender, event, receivedAt);
    } else if (event.type === "m.room.power_levels" && event["state_key"] === "") {
      await this.onPowerLevels(link, sender, event, receivedAt);
    }
  }

  /** Levels given to ghosts and to Matrix users with remote identities go to the network as their remote ids. */
  private async onPowerLevels(link: RoomLink, sender: UserId, event: MatrixEventJson, receivedAt: number) {
    const { naming, puppets, roomActions } = this.deps;
    if (!roomActions.takesPowerLevels) return;
    const prev = obj(event["unsigned"])["prev_content"];
    const changes: { user: RemoteUserId; level: number }[] = [];
    for (const [userId, level] of changedUserLevels(event["content"], prev)) {
      if (!isUserId(userId) || userId === naming.botUserId) continue;
      // A Matrix user who may not be bridged has no standing on the network to give.
      const ghost = naming.remoteUserOf(userId);
      if (ghost === null && !this.deps.gate.allows(userId)) continue;
      const user = ghost ?? (await puppets.identityOf(userId));
      if (user !== null) changes.push({ user, level });
    }
    if (changes.length > 0) await this.deps.roomActions.powerLevels(link, sender, changes, receivedAt);
  }

  private async onMembership(roomId: RoomId, sender: UserId, event: MatrixEventJson): Promise<void> {
    const target = str(event["state_key"]);
    const content = obj(event["content"]);
    const membership = str(content["membership"]);
    if (!isUserId(target) || membership === undefined || !MEMBERSHIPS.has(membership)) return;
    const { cache, naming, displayNames, gate } = this.deps;
    const wasJoined = cache.isJoined(roomId, target);
    cache.noteMembership(roomId, target, membership as Membership);
    displayNames.note(roomId, target, membership === "join" ? content : undefined);
    if (
      target === naming.botUserId &&
      (membership === "leave" || membership === "ban") &&
      sender !== target
    ) {
      // Kicked or banned from a plumbed room: its users ended the bridge; keep no link to a room we cannot enter.
      await this.deps.plumbing.forget(roomId);
      return;
    }
    if (target === naming.botUserId && membership === "invite") {
      await this.botRooms.invited(roomId, sender, event);
      const inviteId = str(event["event_id"]);
      if (inviteId !== undefined) await this.botRooms.catchUpAfterJoin(roomId, inviteId);
      return;
    }
    const invitedGhost = naming.remoteUserOf(target);
    if (invitedGhost !== null && membership === "invite" && !naming.isBridgeUser(sender)) {
      const ghost = this.deps.intents.intentFor(target);
      if (!gate.allows(sender)) {
        this.deps.logger.info("refusing a private chat from a user without permission", { roomId, sender });
        await ghost.leave(roomId, "You are not allowed to use this bridge.");
        return;
      }
      const crypto = this.deps.crypto();
      // The ghost's device exists before it joins, so the user's client shares the room's keys with it.
      if (crypto !== null && inviteShowsEncryption(event)) {
        await crypto.deviceFor(target);
        crypto.rooms.noteEncrypted(roomId);
      }
      await this.deps.directChats.ghostInvited(roomId, sender, invitedGhost, content["is_direct"] === true);
      // An encrypted private chat is told so by the ghost, and a new one without encryption is opened.
      if (
        crypto === null &&
        this.deps.cache.isJoined(roomId, target) &&
        (await this.deps.encrypted.isEncrypted(roomId, ghost, event))
      )
        await this.deps.encrypted.noticed(roomId, sender, "state on joining");
      return;
    }
    const kickedGhost = naming.remoteUserOf(target);
    if (
      kickedGhost !== null &&
      (membership === "leave" || membership === "ban") &&
      !naming.isBridgeUser(sender)
    ) {
      const link = await this.deps.store.getRoomLinkByMatrix(roomId);
      const reason = str(content["reason"]);
      if (
        link !== null &&
        link.paused === undefined &&
        (await gate.admit(roomId, sender, this.speakerIn(link)))
      )
        await this.deps.roomActions.kick(link, sender, kickedGhost, reason, membership === "ban");
      return;
    }
    if (naming.isBridgeUser(target) || content[DOUBLE_PUPPET_SOURCE] === this.deps.bridgeId) return;
    const joined = membership === "join";
    // Display name changes are member events too; only real arrivals and departures matter to the network.
    if (joined !== wasJoined) await this.passMembership(roomId, target, joined ? "join" : "leave");
  }

  /**
   * A Matrix user with a remote identity joined or left a bridged room: their puppet follows. A user who may not be
   * bridged gets no puppet (no connection is opened for them) and is told why when they arrive.
   */
  private async passMembership(roomId: RoomId, userId: UserId, membership: "join" | "leave"): Promise<void> {
    const { store, gate } = this.deps;
    const link = await store.getRoomLinkByMatrix(roomId);
    // A private chat has no remote room to enter or leave; a paused room is not bridged.
    if (link === null || link.kind === "dm" || link.paused !== undefined) return;
    if (!gate.allows(userId)) {
      if (membership === "join") await gate.admit(roomId, userId, this.speakerIn(link));
      return;
    }
    await this.deps.roomActions.membership(link, userId, membership);
  }

  /** Who tells a room's users why they are not bridged: a private chat's ghost, else the bot. */
  private speakerIn(link: RoomLink) {
    const { intents, naming } = this.deps;
    return link.kind === "dm" && link.peer !== undefined
      ? intents.intentFor(naming.ghostUserId(link.peer))
      : intents.bot;
  }

  /** Handles an entry accepted outside a transaction and marks it done (scrubbed, if it held credentials). */
  private async handleAccepted(entry: InboxEntry): Promise<void> {
    await completeHandling(this.deps.store, entry.seq, await this.handle(entry));
  }
}
