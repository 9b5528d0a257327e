// Telegram limits how fast a bot may write, per chat and overall, and answers 429 with `retry_after` when it is too
// fast. Everything the bot sends goes through this queue, one request at a time per chat: a 429 holds that chat's
// queue for the time Telegram asked and then sends the same request again, so nothing is dropped and the chat's
// messages keep their order, while other chats go on.

import { setTimeout as sleep } from "node:timers/promises";
import { retryAfterOf } from "./bot-api.ts";

export interface SendQueueOptions {
  /** Aborted when the bridge stops: a wait is cut short and the request fails, so the core keeps the event. */
  signal: AbortSignal;
  /** Waits `ms`; replaceable so tests need not wait. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
  onRateLimited?: (chatId: string, retryAfterSeconds: number) => void;
}

export class ChatSendQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly options: SendQueueOptions;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(options: SendQueueOptions) {
    this.options = options;
    this.wait = options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
  }

  /** Runs `request` after every earlier request for the chat, again after each 429 until Telegram takes it. */
  run<T>(chatId: string, request: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(chatId) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(() => this.untilAccepted(chatId, request));
    const tail = result.catch(() => undefined);
    this.tails.set(chatId, tail);
    // The map keeps only chats with something queued, so it does not grow with every chat ever written to.
    void tail.then(() => {
      if (this.tails.get(chatId) === tail) this.tails.delete(chatId);
    });
    return result;
  }

  private async untilAccepted<T>(chatId: string, request: () => Promise<T>): Promise<T> {
    for (;;) {
      this.options.signal.throwIfAborted();
      try {
        return await request();
      } catch (err) {
        const seconds = retryAfterOf(err);
        if (seconds === undefined) throw err;
        this.options.onRateLimited?.(chatId, seconds);
        await this.wait(seconds * 1000, this.options.signal);
      }
    }
  }
}
