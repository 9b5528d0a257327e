// Who a Matrix user is on the remote network, and who a remote user is on Matrix.
// - Single puppeting: a Matrix user's events go out as their own remote identity: one they logged in with
//   (`login`), or one the network hands every Matrix user (`automaticIdentity`).
// - Relaybot: without an identity, the bridge's own remote account relays for them, marking their lines with their
//   name, where the room allows it.
// - Double puppeting: a remote user who is a logged-in Matrix user of this homeserver appears as that real account
//   (through the second, non-exclusive registration), not as a ghost.

import { type RemoteUserId, serverNameOf, type UserId } from "../ids.ts";
import type { Intent } from "../matrix/intent.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin, SendAs } from "../network.ts";
import type { RelayMarks } from "../rich-text.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";

/** Put into the content of every event the bridge sends as a real user, so the bridge never bridges it back. */
export const DOUBLE_PUPPET_SOURCE = "org.matrix_bridges.double_puppet_source";

export class Puppets {
  private readonly store: BridgeStore;
  private readonly network: NetworkPlugin;
  private readonly doublePuppetIntents: IntentFactory | null;
  private readonly domain: string;

  constructor(options: {
    store: BridgeStore;
    network: NetworkPlugin;
    doublePuppetIntents: IntentFactory | null;
    domain: string;
  }) {
    this.store = options.store;
    this.network = options.network;
    this.doublePuppetIntents = options.doublePuppetIntents;
    this.domain = options.domain;
  }

  /**
   * The identity `userId`'s events in `link`'s room go out as, or null when they cannot go out at all. `marks`
   * makes the relay marks, only when the room relays for them.
   */
  async sendAs(userId: UserId, link: RoomLink, marks: () => Promise<RelayMarks>): Promise<SendAs | null> {
    const identity = await this.identityOf(userId);
    if (identity !== null) return { kind: "puppet", remoteUserId: identity };
    if (link.relay === true) return { kind: "relay", marks: await marks() };
    return null;
  }

  /** The Matrix user's own remote identity (login first, then the network's automatic one), or null. */
  async identityOf(userId: UserId): Promise<RemoteUserId | null> {
    const login = await this.store.getLogin(userId);
    if (login !== null) return login.remoteUserId;
    return (await this.network.automaticIdentity?.(userId)) ?? null;
  }

  /** The Matrix user behind a remote identity (a login or an automatic identity), or null for remote people. */
  async matrixUserOf(remoteUserId: RemoteUserId): Promise<UserId | null> {
    return (
      (await this.store.getUserByRemote(remoteUserId)) ?? this.network.matrixUserOf?.(remoteUserId) ?? null
    );
  }

  /** The real Matrix account that should speak for a remote user, when double puppeting can. */
  async doublePuppetFor(remoteUserId: RemoteUserId): Promise<Intent | null> {
    if (this.doublePuppetIntents === null) return null;
    const userId = await this.store.getUserByRemote(remoteUserId);
    if (userId === null || serverNameOf(userId) !== this.domain) return null;
    return this.doublePuppetIntents.intentFor(userId);
  }
}
