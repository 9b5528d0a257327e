// A network plugin that does nothing but tell the benchmark what the core handed it: what is measured is the core's
// own work from the homeserver's request to the plugin's `sendMessage`. Every Matrix user gets an automatic identity,
// so messages go out as puppets without any lookup on the homeserver (the relay path would ask for display names).

import {
  type DeliveryResult,
  localpartOf,
  type MatrixMessage,
  type NetworkContext,
  type NetworkFactory,
  type NetworkInfo,
  type NetworkPlugin,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteUserId,
  type UserId,
} from "bridge-core";

/** Known before any plugin is made: the benchmark writes the registration from it. */
export const NOOP_NETWORK_INFO: NetworkInfo = {
  id: "bench",
  displayName: "Benchmark network",
  ghostTemplate: "bench_{id}",
  aliasTemplate: "bench_{id}",
};

export class NoopNetwork implements NetworkPlugin {
  readonly info = NOOP_NETWORK_INFO;
  private readonly context: NetworkContext;
  private readonly onMessage: (message: MatrixMessage) => void;
  private delivered = 0;
  /** How many linked rooms the core reported at start. */
  linkedRoomsAtStart = 0;

  constructor(context: NetworkContext, onMessage: (message: MatrixMessage) => void) {
    this.context = context;
    this.onMessage = onMessage;
  }

  /** Reads what a real plugin reads at start to rejoin its rooms and reconnect its puppets, and does nothing with it. */
  async start(): Promise<void> {
    this.linkedRoomsAtStart = (await this.context.linkedRooms()).length;
    await this.context.savedLogins();
  }
  async stop(): Promise<void> {}

  async resolveRoom(): Promise<RemoteRoomInfo | null> {
    return null;
  }

  async resolveUser(): Promise<RemoteUserInfo | null> {
    return null;
  }

  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    return remoteUserId(`mx_${localpartOf(userId)}`);
  }

  /** Answers with a message id as a real network would, so the core also does its usual event mapping write. */
  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    this.onMessage(message);
    this.delivered += 1;
    return { remoteMessageId: remoteMessageId(`bench-${this.delivered}`) };
  }
}

/** The factory the benchmark's bridge makes its plugin with; `onMessage` sees every message handed to it. */
export function noopNetwork(onMessage: (message: MatrixMessage) => void = () => undefined): NetworkFactory {
  return (context) => new NoopNetwork(context, onMessage);
}
