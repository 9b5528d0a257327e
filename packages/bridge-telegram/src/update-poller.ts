// Long polling: getUpdates in a loop, each batch handled before the next call confirms it (the offset), so updates
// the bridge had not finished with when it stopped or crashed are delivered again on its next start (the core
// recognises what it already bridged). Updates of one chat are handled in order; different chats side by side.

import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "bridge-core";
import type { Update } from "node-telegram-bot-api";
import { describeTelegramError, retryAfterOf, type TelegramBotApi } from "./bot-api.ts";

/**
 * A server that does not hold getUpdates open answers an empty batch at once; this pause keeps such a loop from
 * spinning. Telegram itself holds the call for the whole timeout, so there it costs nothing.
 */
const EMPTY_BATCH_PAUSE_MS = 200;
const MAX_BACKOFF_MS = 60_000;

export interface UpdatePollerOptions {
  api: TelegramBotApi;
  timeoutSeconds: number;
  logger: Logger;
  handle(update: Update): Promise<void>;
  chatKeyOf(update: Update): string;
  /** Told after each getUpdates whether Telegram answered: the bridge's connection state follows it. */
  onOutcome?(ok: boolean, err?: unknown): void;
}

export class UpdatePoller {
  private readonly options: UpdatePollerOptions;
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(options: UpdatePollerOptions) {
    this.options = options;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { api, logger } = this.options;
    const signal = this.stopping.signal;
    let offset: number | undefined;
    let failures = 0;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await api.getUpdates(
          { ...(offset !== undefined && { offset }), timeout: this.options.timeoutSeconds },
          signal,
        );
        failures = 0;
        this.options.onOutcome?.(true);
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.options.onOutcome?.(false, err);
        const waitMs = (retryAfterOf(err) ?? 0) * 1000 || Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures);
        logger.warn("could not fetch Telegram updates; trying again", {
          error: describeTelegramError(err),
          waitMs,
        });
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (updates.length === 0) {
        await sleep(EMPTY_BATCH_PAUSE_MS, undefined, { signal }).catch(() => undefined);
        continue;
      }
      await this.handleBatch(updates);
      offset = Math.max(...updates.map((u) => u.update_id)) + 1;
    }
  }

  private async handleBatch(updates: Update[]): Promise<void> {
    const byChat = Map.groupBy(updates, (u) => this.options.chatKeyOf(u));
    await Promise.all(
      [...byChat.values()].map(async (chatUpdates) => {
        for (const update of chatUpdates) {
          try {
            await this.options.handle(update);
          } catch (err) {
            // The core has already held the update through any passing trouble; what reaches here will not succeed.
            this.options.logger.error("could not bridge a Telegram update", {
              updateId: update.update_id,
              err,
            });
          }
        }
      }),
    );
  }
}
