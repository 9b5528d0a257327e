// The one check every path that acts for a Matrix user on the network goes through: messages, edits, reactions,
// redactions, topics, kicks and power levels, joins that start a puppet, typing, receipts, presence, relaying and
// private chats. A user `bridge.permissions` gives no level is not bridged at all — no message goes out, and no
// connection is opened for them (which would use up the network's connection limit and the bridge's standing
// there) — and is told so once per room, remembered across restarts.

import type { RoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Intent } from "../matrix/intent.ts";
import type { BridgeStore } from "../store/store.ts";
import type { Permissions } from "./permissions.ts";

/** The store topic of the notice for one user. */
const topicFor = (userId: UserId): string => `unpermitted:${userId}`;

export function unpermittedNotice(userId: UserId, networkName: string): string {
  return (
    `${userId}: you are not allowed to use this bridge, so nothing you do here reaches ${networkName} ` +
    `and no ${networkName} connection is opened for you. Ask the bridge's admin if you should be.`
  );
}

export class UserGate {
  private readonly permissions: Permissions;
  private readonly store: BridgeStore;
  private readonly networkName: string;
  private readonly logger: Logger;

  constructor(options: {
    permissions: Permissions;
    store: BridgeStore;
    networkName: string;
    logger: Logger;
  }) {
    this.permissions = options.permissions;
    this.store = options.store;
    this.networkName = options.networkName;
    this.logger = options.logger;
  }

  /** Whether the user may be bridged; for paths where nobody can be told (typing, receipts, presence). */
  allows(userId: UserId): boolean {
    return this.permissions.allows(userId);
  }

  /**
   * Whether the user may be bridged in the room; when not, `speaker` (the bot, or a ghost in a private chat) tells
   * them once why. A failure to tell is logged, never thrown: the refusal itself must hold either way.
   */
  async admit(roomId: RoomId, userId: UserId, speaker: Intent | null): Promise<boolean> {
    if (this.permissions.allows(userId)) return true;
    const topic = topicFor(userId);
    if ((await this.store.getNoticeGiven(roomId, topic)) !== null) return false;
    this.logger.info("not bridging a user without permission", { roomId, userId });
    if (speaker === null) return false;
    try {
      await speaker.sendNotice(roomId, unpermittedNotice(userId, this.networkName));
      await this.store.putNoticeGiven(roomId, topic, "none");
    } catch (err) {
      this.logger.warn("could not tell a user without permission why they are not bridged", {
        roomId,
        userId,
        err,
      });
    }
    return false;
  }
}
