// Tells a user in their DM with the bot when their own connection to the network (their login or puppet) stops
// carrying messages and when it carries them again, as the mautrix bridges do. On unless the user sent `notices off`.
// Notices for one user go out in the order the changes happened, so "down" never arrives after "back".

import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Intent } from "../matrix/intent.ts";
import { BAD_STATES, type ConnectionStatus } from "../observability/bridge-state.ts";
import type { BridgeStore } from "../store/store.ts";

export interface ConnectionNoticesOptions {
  store: () => BridgeStore;
  bot: Intent;
  networkName: string;
  logger: Logger;
}

export class ConnectionNotices {
  private readonly options: ConnectionNoticesOptions;
  private readonly chains = new Map<UserId, Promise<void>>();

  constructor(options: ConnectionNoticesOptions) {
    this.options = options;
  }

  /** A user's connection changed state (BridgeStates.onUserChange). */
  changed(userId: UserId, previous: ConnectionStatus | undefined, current: ConnectionStatus): void {
    const text = this.noticeFor(previous, current);
    if (text === null) return;
    const chain = (this.chains.get(userId) ?? Promise.resolve()).then(() => this.send(userId, text));
    this.chains.set(userId, chain);
    void chain.finally(() => {
      if (this.chains.get(userId) === chain) this.chains.delete(userId);
    });
  }

  /** Resolves once every notice asked for so far went out (or failed): for tests and an orderly stop. */
  async idle(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  private noticeFor(previous: ConnectionStatus | undefined, current: ConnectionStatus): string | null {
    const name = this.options.networkName;
    const wasBad = previous !== undefined && BAD_STATES.has(previous.state_event);
    if (current.state_event === "CONNECTED") return wasBad ? `Your ${name} connection is back.` : null;
    if (!BAD_STATES.has(current.state_event) || previous?.state_event === current.state_event) return null;
    const why = current.message === undefined ? "" : `: ${current.message}`;
    const off = 'Send "notices off" to stop these messages.';
    if (current.state_event === "BAD_CREDENTIALS")
      return `${name} refused your login${why}. Log in again with "login". ${off}`;
    if (current.state_event === "TRANSIENT_DISCONNECT")
      return `Your ${name} connection is down${why}. The bridge keeps trying and tells you when it is back. ${off}`;
    return `Your ${name} connection stopped${why}. ${off}`;
  }

  private async send(userId: UserId, text: string): Promise<void> {
    const { store, bot, logger } = this.options;
    try {
      const record = await store().getUserRecord(userId);
      if (record.managementRoomId === undefined || record.connectionNotices === false) return;
      await bot.sendNotice(record.managementRoomId, text);
    } catch (err) {
      // A notice is a courtesy: the homeserver may be the thing that is down.
      logger.warn("could not tell a user about their connection", { userId, err });
    }
  }
}
