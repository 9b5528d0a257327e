// Remote → Matrix: what a network plugin reports, bridged into the room's portal (created when the remote side
// speaks first) as the sender's ghost, or as their real Matrix account when double puppeting applies. Each event
// takes its turn in its Matrix room's one queue (room-queues.ts), behind the room's Matrix events before it. Every
// send carries a transaction id derived from the remote ids, so a retry after a crash or an outage cannot duplicate
// it.

import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EventId, RemoteMessageId, RemoteRoomId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { isMatrixError, MatrixConnectionError, MatrixHttpError } from "../matrix/errors.ts";
import type { Intent } from "../matrix/intent.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type {
  RemoteDeletion,
  RemoteDirectMessage,
  RemoteEdit,
  RemoteEvents,
  RemoteKick,
  RemoteMembership,
  RemoteMessage,
  RemotePower,
  RemotePresence,
  RemoteReaction,
  RemoteReceipt,
  RemoteRoomInfo,
  RemoteTyping,
  RemoteUserInfo,
} from "../network.ts";
import type { RoomQueues } from "../pipeline/room-queues.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import type { DirectChats } from "./direct-chats.ts";
import type { Ghosts } from "./ghosts.ts";
import { UNSTABLE_SHORTCODE } from "./matrix-content.ts";
import type { Portals } from "./portals.ts";
import { DOUBLE_PUPPET_SOURCE, type Puppets } from "./puppets.ts";
import { MEDIA_MSGTYPES, type PillOf, relationOf, textContent } from "./remote-content.ts";

export interface RemoteToMatrixDeps {
  /** Aborted when the bridge stops: events held back by an unreachable homeserver stay recorded for the next start. */
  stopping: AbortSignal;
  directChats: DirectChats;
  store: BridgeStore;
  intents: IntentFactory;
  ghosts: Ghosts;
  portals: Portals;
  puppets: Puppets;
  queues: RoomQueues;
  /** Who a remote user mentioned in a message is on Matrix. */
  pillOf: PillOf;
  bridgeId: string;
  logger: Logger;
  onBridged: (type: string, receivedAt: number) => void;
}

/** Pauses between tries while the homeserver cannot be reached: about half an hour in all, then the event is dropped. */
const PASSING_TROUBLE_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, ...Array(28).fill(60_000)];

/** A homeserver that is down, restarting or overloaded will be back; anything else it answers is final. */
function isPassing(err: unknown): boolean {
  if (err instanceof MatrixConnectionError) return true;
  return err instanceof MatrixHttpError && (err.status === 429 || err.status >= 500);
}

/**
 * Runs `attempt` until it succeeds or fails for good, pausing while the homeserver is unreachable. It runs inside
 * the room's turn of the pipeline, so the room's later events wait behind it and keep their order.
 */
async function retryWhilePassing(
  attempt: () => Promise<void>,
  options: { logger: Logger; signal: AbortSignal; context: Record<string, unknown> },
) {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const delay = PASSING_TROUBLE_DELAYS_MS[i];
      if (!isPassing(err) || delay === undefined) throw err;
      options.logger.warn("homeserver unreachable; holding the event", {
        ...options.context,
        attempt: i,
        err,
      });
      // A bridge that is stopping leaves the event recorded for its next start instead of waiting on.
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}

/** Same remote event → same transaction id → the homeserver stores it once, however often it is sent. */
function txnIdFor(kind: string, ...parts: string[]): string {
  return `${kind}.${createHash("sha256").update(parts.join("\u0000")).digest("base64url").slice(0, 32)}`;
}

export class RemoteToMatrix implements RemoteEvents {
  private readonly deps: RemoteToMatrixDeps;

  constructor(deps: RemoteToMatrixDeps) {
    this.deps = deps;
  }

  /** Runs `task` in the turn of the remote room's Matrix room (made if need be), in the room's one queue. */
  private inRoom(roomId: RemoteRoomId, type: string, task: (link: RoomLink) => Promise<void>): Promise<void> {
    const receivedAt = Date.now();
    return this.deps.queues.remote(
      roomId,
      () => this.portalOf(roomId, type),
      async ({ roomId: matrixRoomId }) => {
        // Read again in the room's turn: the room may have been unlinked or paused while the event waited.
        const link = await this.deps.store.getRoomLinkByMatrix(matrixRoomId);
        if (link === null || link.remoteRoomId !== roomId) {
          this.deps.logger.info("event for a room unlinked meanwhile; dropped", { roomId, type });
          return;
        }
        // The room turned on encryption: the bridge cannot encrypt, and posting in plaintext where users expect
        // secrecy is worse than not posting (the room was told; see encrypted-rooms.ts).
        if (link.paused !== undefined) {
          this.deps.logger.debug("event for a paused room; not bridged", {
            roomId,
            type,
            paused: link.paused,
          });
          return;
        }
        await retryWhilePassing(() => task(link), {
          logger: this.deps.logger,
          signal: this.deps.stopping,
          context: { roomId, type },
        });
        this.deps.onBridged(type, receivedAt);
      },
    );
  }

  private async portalOf(roomId: RemoteRoomId, type: string): Promise<RoomLink | null> {
    const link = await this.deps.portals.ensure(roomId);
    if (link === null) {
      this.deps.logger.warn(
        "event for a remote room the network does not know, or one not allowed a portal; dropped",
        { roomId, type },
      );
    }
    return link;
  }

  /** The Matrix user who speaks for `sender` in the room: their real account (double puppet) or their ghost. */
  private async speaker(link: RoomLink, sender: RemoteUserInfo): Promise<{ intent: Intent; real: boolean }> {
    const real = await this.deps.puppets.doublePuppetFor(sender.id);
    if (real !== null) {
      await real.ensureJoined(link.roomId);
      return { intent: real, real: true };
    }
    const intent = this.deps.intents.intentFor(await this.deps.ghosts.ensure(sender));
    await intent.ensureJoined(link.roomId);
    return { intent, real: false };
  }

  /** Content sent as a real user is marked, so the bridge recognises it when it comes back in a transaction. */
  private mark(content: Record<string, unknown>, real: boolean): Record<string, unknown> {
    return real ? { ...content, [DOUBLE_PUPPET_SOURCE]: this.deps.bridgeId } : content;
  }

  private async eventFor(roomId: RemoteRoomId, id: RemoteMessageId): Promise<EventId | undefined> {
    return (await this.deps.store.getEventLinkByRemote(roomId, id))?.eventId;
  }

  message(m: RemoteMessage): Promise<void> {
    const type = m.media ? MEDIA_MSGTYPES[m.media.kind] : `m.${m.kind ?? "text"}`;
    return this.inRoom(m.roomId, type, async (link) => {
      // Already mapped: our own message echoed back by the network, or a redelivery.
      if ((await this.eventFor(m.roomId, m.id)) !== undefined) return;
      const { intent, real } = await this.speaker(link, m.sender);
      let content = textContent(m.text, m.kind, this.deps.pillOf);
      if (m.media) {
        const url = await this.deps.intents.client.uploadMedia(m.media.data, {
          contentType: m.media.mimetype,
          filename: m.media.filename,
        });
        content = {
          msgtype: MEDIA_MSGTYPES[m.media.kind],
          body: m.media.filename,
          url,
          info: { mimetype: m.media.mimetype, size: m.media.data.byteLength },
        };
      }
      const replyTo = m.replyTo ? await this.eventFor(m.roomId, m.replyTo) : undefined;
      const root = m.threadRoot ? await this.eventFor(m.roomId, m.threadRoot) : undefined;
      const relation = relationOf(replyTo, root);
      if (relation !== undefined) content["m.relates_to"] = relation;
      const eventId = await intent.sendMessage(
        link.roomId,
        this.mark(content, real),
        txnIdFor("m", m.roomId, m.id),
      );
      await this.deps.store.putEventLink({
        roomId: link.roomId,
        eventId,
        remoteRoomId: m.roomId,
        remoteMessageId: m.id,
      });
    });
  }

  directMessage(m: RemoteDirectMessage): Promise<void> {
    return this.deps.directChats.message(m);
  }

  edit(e: RemoteEdit): Promise<void> {
    return this.inRoom(e.roomId, "m.replace", async (link) => {
      const target = await this.eventFor(e.roomId, e.target);
      if (target === undefined) return;
      const { intent, real } = await this.speaker(link, e.sender);
      const newContent = textContent(e.text, "text", this.deps.pillOf);
      const body = String(newContent["body"]);
      const content = {
        msgtype: "m.text",
        body: `* ${body}`,
        "m.new_content": newContent,
        "m.relates_to": { rel_type: "m.replace", event_id: target },
      };
      await intent.sendMessage(
        link.roomId,
        this.mark(content, real),
        txnIdFor("e", e.roomId, e.target, body),
      );
    });
  }

  deletion(d: RemoteDeletion): Promise<void> {
    return this.inRoom(d.roomId, "m.room.redaction", async (link) => {
      const target = await this.eventFor(d.roomId, d.target);
      if (target === undefined) return;
      const { intent } = await this.speaker(link, d.sender);
      const txnId = txnIdFor("d", d.roomId, d.target);
      try {
        await intent.redact(link.roomId, target, undefined, txnId);
      } catch (err) {
        // Someone deleting another's message needs power the ghost may lack; the bot owns the portal.
        if (!isMatrixError(err, "M_FORBIDDEN")) throw err;
        await this.deps.intents.bot.redact(link.roomId, target, undefined, txnId);
      }
    });
  }

  reaction(r: RemoteReaction): Promise<void> {
    return this.inRoom(r.roomId, "m.reaction", async (link) => {
      const target = await this.eventFor(r.roomId, r.target);
      if (target === undefined || (await this.eventFor(r.roomId, r.id)) !== undefined) return;
      const { intent } = await this.speaker(link, r.sender);
      const txnId = txnIdFor("r", r.roomId, r.id);
      // An image reaction (MSC4027): the image is the key, the shortcode what clients without images show.
      const eventId =
        r.image === undefined
          ? await intent.react(link.roomId, target, r.key, txnId)
          : await intent.sendEvent(
              link.roomId,
              "m.reaction",
              {
                "m.relates_to": { rel_type: "m.annotation", event_id: target, key: r.image },
                shortcode: r.key,
                [UNSTABLE_SHORTCODE]: r.key,
              },
              txnId,
            );
      await this.deps.store.putEventLink({
        roomId: link.roomId,
        eventId,
        remoteRoomId: r.roomId,
        remoteMessageId: r.id,
      });
    });
  }

  reactionRemoved(r: { roomId: RemoteRoomId; sender: RemoteUserInfo; id: RemoteMessageId }): Promise<void> {
    return this.deletion({ roomId: r.roomId, sender: r.sender, target: r.id });
  }

  typing(t: RemoteTyping): Promise<void> {
    return this.inRoom(t.roomId, "m.typing", async (link) => {
      const { intent } = await this.speaker(link, t.sender);
      await intent.sendTyping(link.roomId, t.typing);
    });
  }

  membership(m: RemoteMembership): Promise<void> {
    return this.inRoom(m.roomId, "m.room.member", async (link) => {
      const matrixUser = await this.deps.puppets.matrixUserOf(m.sender.id);
      if (matrixUser !== null) {
        // The remote user is a Matrix user's puppet: bring the Matrix user along instead of a ghost.
        if (m.membership === "join")
          await this.deps.intents.bot.invite(link.roomId, matrixUser).catch(() => undefined);
        return;
      }
      const ghost = this.deps.intents.intentFor(await this.deps.ghosts.ensure(m.sender));
      if (m.membership === "join") await ghost.ensureJoined(link.roomId);
      else await ghost.leave(link.roomId, m.reason);
    });
  }

  kick(k: RemoteKick): Promise<void> {
    return this.inRoom(k.roomId, "m.room.member", async (link) => {
      // A Matrix user's puppet kicked on the network leaves the Matrix room too; a ghost likewise.
      const target =
        (await this.deps.puppets.matrixUserOf(k.target.id)) ?? (await this.deps.ghosts.ensure(k.target));
      const reason = `${k.ban ? "banned" : "kicked"} by ${k.sender.displayName}${k.reason ? `: ${k.reason}` : ""}`;
      const bot = this.deps.intents.bot;
      try {
        if (k.ban) await bot.ban(link.roomId, target, reason);
        else await bot.kick(link.roomId, target, reason);
      } catch (err) {
        // Not in the room (nothing to undo), or a plumbed room where the bot has no power to kick.
        this.deps.logger.info("could not mirror a kick", { roomId: link.roomId, target, err });
      }
    });
  }

  power(p: RemotePower): Promise<void> {
    return this.inRoom(p.roomId, "m.room.power_levels", async (link) => {
      // The power levels of a plumbed room are its moderators' to set, never the bridge's.
      if (link.kind !== "portal") return;
      const user =
        (await this.deps.puppets.matrixUserOf(p.user.id)) ?? (await this.deps.ghosts.ensure(p.user));
      const bot = this.deps.intents.bot;
      const current = (await bot.getPowerLevels(link.roomId)) ?? {};
      const users = { ...(current.users ?? {}) };
      if ((users[user] ?? 0) === p.level) return;
      if (p.level === 0) delete users[user];
      else users[user] = p.level;
      await bot.sendState(link.roomId, "m.room.power_levels", "", { ...current, users });
    });
  }

  async profile(user: RemoteUserInfo): Promise<void> {
    await this.deps.queues.user(user.id, async () => {
      await this.deps.ghosts.ensure(user);
    });
  }

  receipt(r: RemoteReceipt): Promise<void> {
    return this.inRoom(r.roomId, "m.receipt", async (link) => {
      const target = await this.eventFor(r.roomId, r.upTo);
      if (target === undefined) return;
      const { intent } = await this.speaker(link, r.sender);
      await intent.sendReadReceipt(link.roomId, target);
    });
  }

  async presence(p: RemotePresence): Promise<void> {
    await this.deps.queues.user(p.user.id, async () => {
      // A Matrix user's own remote identity: their presence is their own to set.
      if ((await this.deps.puppets.matrixUserOf(p.user.id)) !== null) return;
      const ghost = this.deps.intents.intentFor(await this.deps.ghosts.ensure(p.user));
      await ghost.setPresence(p.state, p.statusMsg);
    });
  }

  roomInfo(room: RemoteRoomInfo): Promise<void> {
    return this.inRoom(room.id, "m.room.name", (link) => this.deps.portals.updateInfo(link, room));
  }
}
