// The one way into the network plugin for what Matrix users do in bridged rooms: every call about a room or a user
// goes through here, so each is counted (bridged or failed, by type) and handled alike. Passing trouble (the network
// briefly unreachable) is retried with growing pauses, holding the room's later events back so their order is kept;
// a refusal (PermanentDeliveryError), or trouble that outlasts the retries, is told to the sender in the room, never
// dropped silently. Typing, read markers and presence are tried once: late, they would be wrong.

import { setTimeout as sleep } from "node:timers/promises";
import type { RoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import {
  type DeliveryResult,
  type MatrixEdit,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixPowerLevels,
  type MatrixPresence,
  type MatrixReaction,
  type MatrixReadReceipt,
  type MatrixRedaction,
  type MatrixRoomChange,
  type MatrixTyping,
  type NetworkPlugin,
  PermanentDeliveryError,
} from "../network.ts";

export interface NetworkDoorDeps {
  network: NetworkPlugin;
  /** Aborted when the bridge stops: a delivery waiting to be retried is left for the next start. */
  stopping: AbortSignal;
  /** Pauses before each retry; their number is the number of retries. */
  retryDelaysMs: readonly number[];
  logger: Logger;
  /** Tells a room (as the bot) that something of its user's did not reach the network. */
  tell: (roomId: RoomId, text: string) => Promise<void>;
  onBridged: (type: string, receivedAt: number) => void;
  onFailed: (type: string) => void;
}

/** One Matrix event's call into the plugin: where it happened, what it is, and what the sender is told it was. */
export interface Errand {
  roomId: RoomId;
  sender: UserId;
  /** The metrics type (`m.text`, `m.reaction`, `kick`, …). */
  type: string;
  /** What the sender is told did not arrive ("message", "edit", …). */
  what: string;
  receivedAt: number;
  /** Resumed after a restart: even the first attempt may have reached the network. */
  resumed?: boolean;
}

/** The plugin's optional methods: which of them it has is what it can do. */
export type NetworkFeature = {
  [K in keyof NetworkPlugin]-?: NetworkPlugin[K] extends ((...args: never[]) => unknown) | undefined
    ? undefined extends NetworkPlugin[K]
      ? K
      : never
    : never;
}[keyof NetworkPlugin];

export class NetworkDoor {
  private readonly deps: NetworkDoorDeps;

  constructor(deps: NetworkDoorDeps) {
    this.deps = deps;
  }

  /** Whether the plugin has the optional method (the method is the capability). */
  has(feature: NetworkFeature): boolean {
    return typeof this.deps.network[feature] === "function";
  }

  /**
   * Sends a message; `sent` records what the network answered (the event's mapping), and is retried with the send:
   * a retry is marked `mayHaveBeenSent`, so that a plugin that can see what its network got sends nothing twice.
   */
  sendMessage(errand: Errand, message: MatrixMessage, sent: (result: DeliveryResult) => Promise<void>) {
    const { network } = this.deps;
    return this.deliver(errand, async (retrying) => {
      const result = await network.sendMessage(retrying ? { ...message, mayHaveBeenSent: true } : message);
      await sent(result);
    });
  }

  sendEdit(errand: Errand, edit: MatrixEdit): Promise<void> {
    const { network } = this.deps;
    const { sendEdit } = network;
    return sendEdit ? this.deliver(errand, () => sendEdit.call(network, edit)) : this.missing();
  }

  sendRedaction(errand: Errand, redaction: MatrixRedaction): Promise<void> {
    const { network } = this.deps;
    const { sendRedaction } = network;
    return sendRedaction
      ? this.deliver(errand, () => sendRedaction.call(network, redaction))
      : this.missing();
  }

  sendReaction(errand: Errand, reaction: MatrixReaction, sent: (result: DeliveryResult) => Promise<void>) {
    const { network } = this.deps;
    const { sendReaction } = network;
    if (!sendReaction) return this.missing();
    return this.deliver(errand, async () => sent(await sendReaction.call(network, reaction)));
  }

  handleMembership(errand: Errand, membership: MatrixMembership): Promise<void> {
    const { network } = this.deps;
    const { handleMembership } = network;
    return handleMembership
      ? this.deliver(errand, () => handleMembership.call(network, membership))
      : this.missing();
  }

  handleRoomChange(errand: Errand, change: MatrixRoomChange): Promise<void> {
    const { network } = this.deps;
    const { handleRoomChange } = network;
    return handleRoomChange
      ? this.deliver(errand, () => handleRoomChange.call(network, change))
      : this.missing();
  }

  handleKick(errand: Errand, kick: MatrixKick): Promise<void> {
    const { network } = this.deps;
    const { handleKick } = network;
    return handleKick ? this.deliver(errand, () => handleKick.call(network, kick)) : this.missing();
  }

  handlePowerLevels(errand: Errand, change: MatrixPowerLevels): Promise<void> {
    const { network } = this.deps;
    const { handlePowerLevels } = network;
    return handlePowerLevels
      ? this.deliver(errand, () => handlePowerLevels.call(network, change))
      : this.missing();
  }

  sendTyping(errand: Errand, typing: MatrixTyping): Promise<void> {
    const { network } = this.deps;
    const { sendTyping } = network;
    return sendTyping ? this.once(errand, () => sendTyping.call(network, typing)) : this.missing();
  }

  sendReadReceipt(errand: Errand, receipt: MatrixReadReceipt): Promise<void> {
    const { network } = this.deps;
    const { sendReadReceipt } = network;
    return sendReadReceipt ? this.once(errand, () => sendReadReceipt.call(network, receipt)) : this.missing();
  }

  /** Presence belongs to no room: nobody is told when it fails. */
  sendPresence(presence: MatrixPresence, receivedAt: number): Promise<void> {
    const { network } = this.deps;
    const { sendPresence } = network;
    const errand = { type: "m.presence", receivedAt, sender: presence.sender };
    return sendPresence ? this.once(errand, () => sendPresence.call(network, presence)) : this.missing();
  }

  /** A plugin without the method gets nothing, and nothing counts as bridged: callers check `has` for fallbacks. */
  private missing(): Promise<void> {
    return Promise.resolve();
  }

  /** Tries once; a failure is counted and logged, never told and never retried. */
  private async once(
    errand: Pick<Errand, "type" | "receivedAt" | "sender"> & { roomId?: RoomId },
    run: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await run();
      this.deps.onBridged(errand.type, errand.receivedAt);
    } catch (err) {
      this.deps.onFailed(errand.type);
      this.deps.logger.info("not delivered to the network", {
        roomId: errand.roomId,
        sender: errand.sender,
        type: errand.type,
        err,
      });
    }
  }

  /** Runs one delivery, retrying passing trouble; the sender is told when it finally fails. */
  private async deliver(errand: Errand, run: (retrying: boolean) => Promise<void>): Promise<void> {
    const { logger, retryDelaysMs, stopping } = this.deps;
    const { roomId, sender, type } = errand;
    for (let n = 0; ; n++) {
      try {
        await run(errand.resumed === true || n > 0);
        this.deps.onBridged(type, errand.receivedAt);
        return;
      } catch (err) {
        const delay = retryDelaysMs[n];
        if (!(err instanceof PermanentDeliveryError) && delay !== undefined) {
          logger.info("delivery to the network failed; trying again", { roomId, type, attempt: n, err });
          // A bridge that is stopping leaves the event in its inbox for the next start instead of waiting on.
          await sleep(delay, undefined, { signal: stopping });
          continue;
        }
        this.deps.onFailed(type);
        logger.warn("not delivered to the network", { roomId, sender, type, err });
        const reason = err instanceof Error ? err.message : String(err);
        const network = this.deps.network.info.displayName;
        await this.deps.tell(
          roomId,
          `⚠ ${sender}: your ${errand.what} could not be delivered to ${network}: ${reason}`,
        );
        return;
      }
    }
  }
}
