// Portal rooms: Matrix rooms the bridge creates and owns for remote rooms. Creation runs in the pipeline under the
// remote room's key, so an alias query and a remote message arriving together make one room, not two.
// A portal alias only ever points at a portal: a remote room plumbed into someone's own room has no portal alias
// (the query is answered "not found"), or linking a room to "#news" would hand its moderators everyone who joins the
// official alias of #news. Which remote rooms may have portals at all is the admin's choice (portal-policy.ts).

import type { RemoteRoomId, RoomAlias, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkInfo, NetworkPlugin, RemoteRoomInfo } from "../network.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import { remoteRoomKey } from "../pipeline/room-queues.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import { ENCRYPTION_STATE_EVENT } from "./encrypted-rooms.ts";
import type { Ghosts } from "./ghosts.ts";
import type { Naming } from "./naming.ts";
import type { PortalDirectory } from "./portal-directory.ts";
import type { PortalPolicy } from "./portal-policy.ts";

/**
 * Ghosts joined when a portal is made. A channel of thousands would otherwise cost thousands of registrations and
 * joins before the first message; everyone else joins the moment they speak or act.
 */
export const INITIAL_MEMBERS = 50;

/** The m.bridge state (MSC2346), under both its names: clients read either. */
export function bridgeStateEvents(options: {
  network: NetworkInfo;
  bridgeId: string;
  botUserId: string;
  remoteRoomId: RemoteRoomId;
  roomName?: string;
}): { type: string; state_key: string; content: Record<string, unknown> }[] {
  const content = {
    bridgebot: options.botUserId,
    creator: options.botUserId,
    protocol: { id: options.network.id, displayname: options.network.displayName },
    channel: { id: options.remoteRoomId, displayname: options.roomName ?? options.remoteRoomId },
  };
  const stateKey = `${options.bridgeId}/${options.network.id}/${options.remoteRoomId}`;
  return ["m.bridge", "uk.half-shot.bridge"].map((type) => ({ type, state_key: stateKey, content }));
}

export class Portals {
  private readonly options: {
    store: BridgeStore;
    intents: IntentFactory;
    naming: Naming;
    queue: KeyedQueue;
    network: NetworkPlugin;
    ghosts: Ghosts;
    bridgeId: string;
    policy: PortalPolicy;
    logger: Logger;
    /** Publishes new portals in the room directory when the admin asked for it. */
    directory?: PortalDirectory;
    /** New portals are end-to-end encrypted (`encryption.default` or `require`). */
    encrypted?: boolean;
  };

  constructor(options: Portals["options"]) {
    this.options = options;
  }

  /** Creates the portal for an alias query; false when the alias names no remote room. */
  async createForAlias(alias: RoomAlias): Promise<boolean> {
    const id = this.options.naming.remoteRoomOf(alias);
    if (id === null) return false;
    if (!this.options.policy.allows(id)) {
      this.options.logger.info("alias of a remote room not allowed a portal; not found", { alias });
      return false;
    }
    return this.options.queue.run(remoteRoomKey(id), async () => {
      const existing = await this.options.store.getRoomLinkByRemote(id);
      if (existing?.kind === "plumbed") {
        this.options.logger.info("alias of a plumbed remote room; not found", {
          alias,
          roomId: existing.roomId,
        });
        return false;
      }
      if (existing) {
        // The room exists but the homeserver does not know the alias (it was removed): point it back.
        await this.options.intents.bot.putAlias(alias, existing.roomId);
        return true;
      }
      return (await this.createPortal(id)) !== null;
    });
  }

  /**
   * A plugin command's way into a portal (CommandContext.openPortal): the remote room's portal, made if need be, with
   * `userId` invited unless they are in it already; its alias. `id` is the plugin's own spelling of the room. Throws
   * an Error to show the user when there is no portal to enter.
   */
  async openFor(id: RemoteRoomId, userId: UserId): Promise<RoomAlias> {
    const { store, intents, naming } = this.options;
    const link = await this.options.queue.run(remoteRoomKey(id), async () => {
      const existing = await store.getRoomLinkByRemote(id);
      // A plumbed room belongs to its own moderators: the bridge hands out no invitations to it.
      if (existing?.kind === "plumbed")
        throw new Error(`${id} is bridged into a room of its own, not a portal`);
      return existing ?? (await this.createPortal(id));
    });
    if (link === null)
      throw new Error(`${id} cannot have a portal: the network does not know it, or it is not allowed`);
    const member = await intents.bot.getState<{ membership?: unknown }>(link.roomId, "m.room.member", userId);
    if (member?.membership !== "join") await intents.bot.invite(link.roomId, userId);
    return naming.portalAlias(link.remoteRoomId);
  }

  /**
   * The Matrix room bridged to a remote room, creating a portal when there is none (the remote side spoke first).
   * Callers already run in the remote room's link turn (room-queues.ts). Null when the network does not know the room.
   */
  async ensure(id: RemoteRoomId): Promise<RoomLink | null> {
    return (await this.options.store.getRoomLinkByRemote(id)) ?? this.createPortal(id);
  }

  /** Null when the network does not know the room, or the admin allows it no portal. */
  private async createPortal(id: RemoteRoomId): Promise<RoomLink | null> {
    const { policy, network, logger } = this.options;
    if (!policy.allows(id)) return null;
    const info = await network.resolveRoom(id);
    if (info === null) return null;
    // The plugin's own spelling of the room is the one the patterns are meant for.
    if (info.id !== id && !policy.allows(info.id)) {
      logger.info("remote room not allowed a portal", { remoteRoomId: info.id });
      return null;
    }
    return this.create(info);
  }

  private async create(info: RemoteRoomInfo): Promise<RoomLink> {
    const { intents, naming, store, network, bridgeId, logger } = this.options;
    const bot = intents.bot;
    const initialState = bridgeStateEvents({
      network: network.info,
      bridgeId,
      botUserId: bot.userId,
      remoteRoomId: info.id,
      ...(info.name !== undefined ? { roomName: info.name } : {}),
    });
    if (info.avatarUrl)
      initialState.push({ type: "m.room.avatar", state_key: "", content: { url: info.avatarUrl } });
    if (this.options.encrypted === true) initialState.push(ENCRYPTION_STATE_EVENT);
    const roomId = await bot.createRoom({
      room_alias_name: naming.portalAliasLocalpart(info.id),
      name: info.name ?? info.id,
      ...(info.topic !== undefined ? { topic: info.topic } : {}),
      preset: "public_chat",
      visibility: "private",
      initial_state: initialState,
      // The bot creates the room, which gives it the highest power: PL 100 before room version 12, and creator
      // status from 12 on (where listing a creator in the power levels is refused).
    });
    const link: RoomLink = {
      roomId,
      remoteRoomId: info.id,
      kind: "portal",
      createdAt: Date.now(),
      ...(this.options.network.info.relayByDefault && { relay: true }),
    };
    await store.putRoomLink(link);
    logger.info("portal created", { roomId, remoteRoomId: info.id });
    await this.options.directory?.publish(roomId);
    await this.joinInitialMembers(link);
    return link;
  }

  private async joinInitialMembers(link: RoomLink): Promise<void> {
    const { network, store, intents, ghosts } = this.options;
    const members = (await network.roomMembers?.(link.remoteRoomId, INITIAL_MEMBERS)) ?? [];
    for (const member of members.slice(0, INITIAL_MEMBERS)) {
      // A remote user who is a Matrix user's puppet is that Matrix user, not a ghost.
      if ((await store.getUserByRemote(member.id)) !== null || network.matrixUserOf?.(member.id)) continue;
      await intents.intentFor(await ghosts.ensure(member)).ensureJoined(link.roomId);
    }
  }

  /** Keeps the portal's name, topic and avatar as the remote room's; plumbed rooms belong to their users. */
  async updateInfo(link: RoomLink, info: RemoteRoomInfo): Promise<void> {
    if (link.kind !== "portal") return;
    const bot = this.options.intents.bot;
    const wanted: [string, string, Record<string, unknown>][] = [];
    if (info.name !== undefined) wanted.push(["m.room.name", "name", { name: info.name }]);
    if (info.topic !== undefined) wanted.push(["m.room.topic", "topic", { topic: info.topic }]);
    if (info.avatarUrl !== undefined) wanted.push(["m.room.avatar", "url", { url: info.avatarUrl }]);
    if (info.joinRule !== undefined)
      wanted.push(["m.room.join_rules", "join_rule", { join_rule: info.joinRule }]);
    for (const [type, field, content] of wanted) {
      const current = await bot.getState<Record<string, unknown>>(link.roomId, type, "");
      if (current?.[field] !== content[field]) await bot.sendState(link.roomId, type, "", content);
    }
  }
}
