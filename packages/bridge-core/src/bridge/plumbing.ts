// Plumbed rooms: existing Matrix rooms that their moderators link to a remote room. Unlike a portal, the room stays
// theirs: the bridge only adds its bot (and ghosts), and never touches the room's power levels, name or settings.
// The same rules serve the bot commands and the provisioning API, so both refuse in the same words.

import type { RemoteRoomId, RoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { isMatrixError } from "../matrix/errors.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin } from "../network.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import { remoteRoomKey } from "../pipeline/room-queues.ts";
import { PlumbingError, type RoomLinking } from "../room-linking.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import type { Naming } from "./naming.ts";
import { bridgeStateEvents } from "./portals.ts";
import { effectivePowerLevel, type PowerState, readPowerState, stateEventLevel } from "./power-levels.ts";

/** The level a room's moderators have by default; linking, unlinking and relaying are theirs to decide. */
export const PLUMBING_POWER_LEVEL = 50;
const MAX_REMOTE_ROOM_ID_LENGTH = 1024;
/** Ghosts leave an unlinked room this many at a time, so a large room does not fire hundreds of requests at once. */
const GHOST_LEAVE_BATCH = 10;

export interface PlumbingOptions {
  store: BridgeStore;
  intents: IntentFactory;
  naming: Naming;
  network: NetworkPlugin;
  /** The registration id, part of the m.bridge state key. */
  bridgeId: string;
  queue: KeyedQueue;
  logger: Logger;
  /**
   * Users who may act in any linked room whatever their power there (bridge admins). In a portal only the bot holds
   * power, so without this nobody could switch relaying in one.
   */
  isBridgeAdmin?: (userId: UserId) => boolean;
}

// Its own key, not the room id the event pipeline uses: a link command already runs under that one, and taking it
// again from inside would wait for itself.
const plumbingKey = (roomId: RoomId): string => `plumbing:${roomId}`;

export class Plumbing implements RoomLinking {
  private readonly options: PlumbingOptions;

  constructor(options: PlumbingOptions) {
    this.options = options;
  }

  /** The network's name for users (`IRC`). */
  get networkName(): string {
    return this.options.network.info.displayName;
  }

  /** The room's links: none, or the one remote room it is bridged to. */
  async links(roomId: RoomId): Promise<RoomLink[]> {
    const link = await this.options.store.getRoomLinkByMatrix(roomId);
    return link === null ? [] : [link];
  }

  /**
   * The room's links, for a moderator of the room (the provisioning API's listing): which remote room a room is
   * bridged to, and who linked it, is the room's moderators' to see, not every user's an integration manager acts
   * for. A room the bot cannot read has no link it could show, and says nothing more.
   */
  async linksFor(roomId: RoomId, requester: UserId): Promise<RoomLink[]> {
    const links = await this.links(roomId);
    let power: PowerState;
    try {
      power = await readPowerState(roomId, this.options.intents);
    } catch (err) {
      if (!isMatrixError(err, "M_FORBIDDEN", "M_NOT_FOUND")) throw err;
      if (links.length === 0 || this.options.isBridgeAdmin?.(requester) === true) return links;
      throw new PlumbingError(403, "M_FORBIDDEN", "The bridge cannot check your power level in this room.");
    }
    this.requirePower(requester, power, "see its links");
    return links;
  }

  /** Links an existing Matrix room to a remote room, for a moderator of the room. */
  async link(roomId: RoomId, remoteRoomId: RemoteRoomId, requester: UserId): Promise<RoomLink> {
    if (remoteRoomId.length === 0 || remoteRoomId.length > MAX_REMOTE_ROOM_ID_LENGTH) {
      throw new PlumbingError(400, "M_INVALID_PARAM", "That is not a valid remote room id.");
    }
    const { store, network, queue, logger } = this.options;
    return queue.run(plumbingKey(roomId), async () => {
      await this.ensureBotJoined(roomId);
      const power = await readPowerState(roomId, this.options.intents);
      this.requirePower(requester, power, "link it");
      // The bridge can neither read nor send encrypted messages yet (see encrypted-rooms.ts).
      if ((await this.options.intents.bot.getState(roomId, "m.room.encryption", "")) !== null) {
        throw new PlumbingError(
          400,
          "M_BAD_STATE",
          "This room is end-to-end encrypted, which this bridge cannot read or send yet; link a room without encryption.",
        );
      }
      const existing = await store.getRoomLinkByMatrix(roomId);
      if (existing !== null) {
        throw new PlumbingError(
          409,
          "M_ROOM_IN_USE",
          `This room is already linked to ${existing.remoteRoomId}; unlink it first.`,
        );
      }
      // Under the remote room's key, as portal creation is: a portal and a plumbed room can never both claim it.
      const { link, roomName } = await queue.run(remoteRoomKey(remoteRoomId), async () => {
        await this.requireRemoteFree(remoteRoomId);
        const info = await network.resolveRoom(remoteRoomId);
        if (info === null) {
          throw new PlumbingError(404, "M_NOT_FOUND", `${this.networkName} has no room ${remoteRoomId}.`);
        }
        // The plugin may spell the room canonically (IRC channels ignore case); that spelling is what it reports.
        if (info.id !== remoteRoomId) await this.requireRemoteFree(info.id);
        const refusal = await network.validateLink?.(info.id, requester);
        if (typeof refusal === "string") {
          throw new PlumbingError(
            403,
            "M_FORBIDDEN",
            refusal !== "" ? refusal : `The ${this.networkName} bridge refused to link this room.`,
          );
        }
        const link: RoomLink = {
          roomId,
          remoteRoomId: info.id,
          kind: "plumbed",
          linkedBy: requester,
          relay: this.options.network.info.relayByDefault ?? false,
          createdAt: Date.now(),
        };
        await store.putRoomLink(link);
        return { link, roomName: info.name };
      });
      logger.info("room linked", { roomId, remoteRoomId: link.remoteRoomId, linkedBy: requester });
      await this.sendBridgeState(link, power, roomName);
      return link;
    });
  }

  /** Ends a plumbed room's link; the bot and its ghosts leave the room. Returns the link that was removed. */
  async unlink(roomId: RoomId, requester: UserId): Promise<RoomLink> {
    const { queue, logger } = this.options;
    return queue.run(plumbingKey(roomId), async () => {
      const link = await this.requireLink(roomId);
      if (link.kind !== "plumbed") {
        throw new PlumbingError(
          400,
          "M_BAD_STATE",
          `This room is the bridge's own room for ${link.remoteRoomId}, not a linked one, and cannot be unlinked.`,
        );
      }
      const canEnter = await this.botCanEnter(roomId);
      if (canEnter) {
        const power = await readPowerState(roomId, this.options.intents);
        this.requirePower(requester, power, "unlink it");
        await this.deleteLink(link);
        logger.info("room unlinked", { roomId, remoteRoomId: link.remoteRoomId, by: requester });
        await this.clearBridgeState(link, power);
        await this.leaveRoom(link);
      } else {
        // The room's moderators removed the bot, so nobody's power can be checked any more and the link is dead
        // anyway: forget it.
        await this.deleteLink(link);
        logger.info("room unlinked; the bot can no longer enter it", {
          roomId,
          remoteRoomId: link.remoteRoomId,
        });
      }
      return link;
    });
  }

  /**
   * Forgets a plumbed room's link without touching the room: for when the bot was kicked or banned from it, which is
   * how a room's moderators may end the link too. Portals are left alone. Returns the removed link, or null.
   */
  async forget(roomId: RoomId): Promise<RoomLink | null> {
    const { store, queue, logger } = this.options;
    return queue.run(plumbingKey(roomId), async () => {
      const link = await store.getRoomLinkByMatrix(roomId);
      if (link === null || link.kind !== "plumbed") return null;
      await this.deleteLink(link);
      logger.info("plumbed room forgotten", { roomId, remoteRoomId: link.remoteRoomId });
      return link;
    });
  }

  /** Switches relaying (Matrix users without a remote identity sent by the bot) in a portal or plumbed room. */
  async setRelay(roomId: RoomId, enabled: boolean, requester: UserId): Promise<RoomLink> {
    const { store, queue, logger } = this.options;
    return queue.run(plumbingKey(roomId), async () => {
      const link = await this.requireLink(roomId);
      await this.ensureBotJoined(roomId);
      this.requirePower(requester, await readPowerState(roomId, this.options.intents), "switch relaying");
      // Read again under the remote room's key, so that a change made meanwhile is neither overwritten nor undone.
      return queue.run(remoteRoomKey(link.remoteRoomId), async () => {
        const current = await this.requireLink(roomId);
        const updated: RoomLink = { ...current, relay: enabled };
        await store.putRoomLink(updated);
        logger.info("relay switched", {
          roomId,
          remoteRoomId: updated.remoteRoomId,
          relay: enabled,
          by: requester,
        });
        return updated;
      });
    });
  }

  private async requireLink(roomId: RoomId): Promise<RoomLink> {
    const link = await this.options.store.getRoomLinkByMatrix(roomId);
    if (link === null) {
      throw new PlumbingError(404, "M_NOT_FOUND", `This room is not linked to any ${this.networkName} room.`);
    }
    return link;
  }

  private async requireRemoteFree(remoteRoomId: RemoteRoomId): Promise<void> {
    const taken = await this.options.store.getRoomLinkByRemote(remoteRoomId);
    if (taken !== null) {
      throw new PlumbingError(409, "M_ROOM_IN_USE", `${remoteRoomId} is already bridged to ${taken.roomId}.`);
    }
  }

  private requirePower(requester: UserId, power: PowerState, action: string): void {
    if (this.options.isBridgeAdmin?.(requester) === true) return;
    const level = effectivePowerLevel(requester, power.create, power.powerLevels);
    if (level >= PLUMBING_POWER_LEVEL) return;
    throw new PlumbingError(
      403,
      "M_FORBIDDEN",
      `You need power level ${PLUMBING_POWER_LEVEL} in this room to ${action}; you have ${level}.`,
    );
  }

  private async ensureBotJoined(roomId: RoomId): Promise<void> {
    const bot = this.options.intents.bot;
    try {
      await bot.ensureJoined(roomId);
    } catch (err) {
      if (isMatrixError(err, "M_FORBIDDEN")) {
        throw new PlumbingError(
          403,
          "M_FORBIDDEN",
          `The bridge bot is not in this room and may not join it: invite ${bot.userId} first.`,
        );
      }
      if (isMatrixError(err) && err.status === 404) {
        throw new PlumbingError(404, "M_NOT_FOUND", "The bridge bot cannot find this room.");
      }
      throw err;
    }
  }

  /** Whether the bot is in the room or may get back in; false only when the homeserver refuses it. */
  private async botCanEnter(roomId: RoomId): Promise<boolean> {
    try {
      await this.ensureBotJoined(roomId);
      return true;
    } catch (err) {
      if (err instanceof PlumbingError && err.status === 403) return false;
      throw err;
    }
  }

  /**
   * Forgets a link, in its remote room's link turn so that no remote event finds it half removed; a remote event
   * already queued in the room checks the link again when its turn comes (remote-to-matrix.ts).
   */
  async deleteLink(link: RoomLink): Promise<void> {
    await this.options.queue.run(remoteRoomKey(link.remoteRoomId), () =>
      this.options.store.deleteRoomLink(link.roomId),
    );
  }

  private stateEvents(link: RoomLink, roomName?: string) {
    const { network, bridgeId, intents } = this.options;
    return bridgeStateEvents({
      network: network.info,
      bridgeId,
      botUserId: intents.bot.userId,
      remoteRoomId: link.remoteRoomId,
      ...(roomName !== undefined ? { roomName } : {}),
    });
  }

  /** Whether the bot may send a state event of `type`: it never asks for power in a room that is not its own. */
  private maySendState(type: string, power: PowerState): boolean {
    const botLevel = effectivePowerLevel(this.options.intents.bot.userId, power.create, power.powerLevels);
    return botLevel >= stateEventLevel(type, power.powerLevels);
  }

  private async sendBridgeState(link: RoomLink, power: PowerState, roomName?: string): Promise<void> {
    const { intents, logger } = this.options;
    for (const event of this.stateEvents(link, roomName)) {
      if (!this.maySendState(event.type, power)) {
        logger.warn("the bridge bot may not send state in this plumbed room; it is linked without m.bridge", {
          roomId: link.roomId,
          type: event.type,
        });
        continue;
      }
      // MSC2346's creator is whoever set the bridge up: here the moderator who linked the room, not the bot.
      const content = { ...event.content, creator: link.linkedBy ?? intents.bot.userId };
      try {
        await intents.bot.sendState(link.roomId, event.type, event.state_key, content);
      } catch (err) {
        logger.warn("could not send bridge state to a plumbed room", {
          roomId: link.roomId,
          type: event.type,
          err,
        });
      }
    }
  }

  /** Empties the m.bridge state the link added, where there is some and the bot may. */
  private async clearBridgeState(link: RoomLink, power: PowerState): Promise<void> {
    const { intents, logger } = this.options;
    for (const event of this.stateEvents(link)) {
      try {
        const current = await intents.bot.getState(link.roomId, event.type, event.state_key);
        if (current === null || Object.keys(current).length === 0) continue;
        if (!this.maySendState(event.type, power)) {
          logger.warn("the bridge bot may not clear its state in an unlinked room", {
            roomId: link.roomId,
            type: event.type,
          });
          continue;
        }
        await intents.bot.sendState(link.roomId, event.type, event.state_key, {});
      } catch (err) {
        logger.warn("could not clear bridge state in an unlinked room", {
          roomId: link.roomId,
          type: event.type,
          err,
        });
      }
    }
  }

  /** The ghosts, then the bot, leave: the room's own users stay and keep the room. */
  async leaveRoom(link: RoomLink): Promise<void> {
    const { intents, naming, logger } = this.options;
    const roomId = link.roomId;
    try {
      const members = await intents.bot.joinedMembers(roomId);
      const ghosts = [...members.keys()].filter((userId) => naming.remoteUserOf(userId) !== null);
      for (let i = 0; i < ghosts.length; i += GHOST_LEAVE_BATCH) {
        const batch = ghosts.slice(i, i + GHOST_LEAVE_BATCH);
        const results = await Promise.allSettled(
          batch.map((ghost) => intents.intentFor(ghost).leave(roomId)),
        );
        results.forEach((result, j) => {
          if (result.status === "rejected") {
            logger.warn("ghost could not leave an unlinked room", {
              roomId,
              ghost: batch[j],
              err: result.reason,
            });
          }
        });
      }
    } catch (err) {
      logger.warn("could not list the ghosts of an unlinked room", { roomId, err });
    }
    try {
      await intents.bot.leave(roomId, `This room is no longer bridged to ${link.remoteRoomId}.`);
    } catch (err) {
      logger.warn("the bridge bot could not leave an unlinked room", { roomId, err });
    }
  }
}
