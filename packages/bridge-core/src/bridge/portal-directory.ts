// Publishing portals in the homeserver's room directory (`bridge.publish_portals`): each portal is listed in the
// server's public rooms and under the bridge's network (the appservice list, `third_party_instance_id` in
// /publicRooms, which Element's "Explore rooms → network" shows). Off by default: which remote rooms a server
// advertises is its admin's choice. Plumbed rooms are never published: they belong to their moderators.

import type { RoomId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin } from "../network.ts";
import type { BridgeStore } from "../store/store.ts";

export class PortalDirectory {
  private readonly options: {
    intents: IntentFactory;
    network: NetworkPlugin;
    enabled: boolean;
    logger: Logger;
  };

  constructor(options: PortalDirectory["options"]) {
    this.options = options;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** The network ids the plugin's third-party protocol names; the room goes into each one's list. */
  private networkIds(): string[] {
    return (this.options.network.thirdParty?.protocol.instances ?? []).map((i) => i.network_id);
  }

  async publish(roomId: RoomId, visibility: "public" | "private" = "public"): Promise<void> {
    if (!this.options.enabled) return;
    const bot = this.options.intents.bot;
    // Each list on its own: Synapse refuses the server's list to all but its admins unless its
    // room_list_publication_rules allow the bot, while the network's list is the application service's own.
    for (const networkId of this.networkIds()) {
      await bot
        .setNetworkDirectoryVisibility(networkId, roomId, visibility)
        .catch((err: unknown) => this.warn(roomId, `the ${networkId} network's list`, err));
    }
    await bot
      .setDirectoryVisibility(roomId, visibility)
      .catch((err: unknown) =>
        this.warn(
          roomId,
          "the server's list (allow the bot in the homeserver's room publication rules)",
          err,
        ),
      );
  }

  private warn(roomId: RoomId, list: string, err: unknown): void {
    // The portal works without it; the next start tries again.
    this.options.logger.warn(`could not publish a portal in ${list}`, { roomId, err });
  }

  /** At start: portals made before the setting was turned on are published too. */
  async publishExisting(store: BridgeStore): Promise<void> {
    if (!this.options.enabled) return;
    for (const link of await store.listRoomLinks())
      if (link.kind === "portal") await this.publish(link.roomId);
  }
}
