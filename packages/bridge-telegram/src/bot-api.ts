// The part of the Bot API the bridge uses, as an interface so that tests can stand a fake in for Telegram. The real
// one is node-telegram-bot-api's `Api` with its own retries off: the per-chat queue (send-queue.ts) and the poller
// decide when to try again, so a 429 holds back exactly the chat it was about.

import { Api, TelegramApiError } from "node-telegram-bot-api";

export interface TelegramBotApi
  extends Pick<
    Api,
    | "getMe"
    | "getUpdates"
    | "getChat"
    | "getChatMember"
    | "getFile"
    | "getUserProfilePhotos"
    | "sendMessage"
    | "sendPhoto"
    | "sendVideo"
    | "sendAudio"
    | "sendVoice"
    | "sendDocument"
    | "editMessageText"
    | "deleteMessage"
    | "deleteWebhook"
    | "setWebhook"
  > {
  /** The content of a file getFile named, refused past `maxBytes`. */
  downloadFile(filePath: string, maxBytes: number): Promise<Uint8Array>;
}

export function createBotApi(options: { token: string; apiUrl: string }): TelegramBotApi {
  const api = new Api(options.token, { apiRoot: options.apiUrl, maxRetries: 0, timeoutMs: 60_000 });
  const fileRoot = `${options.apiUrl.replace(/\/+$/, "")}/file/bot${options.token}/`;
  return Object.assign(api, {
    downloadFile: (filePath: string, maxBytes: number) => downloadCapped(fileRoot + filePath, maxBytes),
  });
}

/** Reads a download up to `maxBytes`; its errors never quote the URL, which carries the bot token. */
async function downloadCapped(url: string, maxBytes: number): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(120_000) }).catch((err: unknown) => {
    throw new Error(
      `could not download the file from Telegram (${err instanceof Error ? err.name : "error"})`,
    );
  });
  if (!response.ok || response.body === null) {
    throw new Error(`Telegram answered the file download with HTTP ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new Error(`the file is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Seconds Telegram asked to wait before the next request, when `err` is its 429 answer. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof TelegramApiError && err.errorCode === 429 ? (err.retryAfter ?? 1) : undefined;
}

export function isTelegramError(err: unknown, code: number, description?: RegExp): boolean {
  return (
    err instanceof TelegramApiError &&
    err.errorCode === code &&
    (description === undefined || description.test(err.description))
  );
}

/**
 * A log- and user-safe account of a failed call: Telegram's own answer, or the kind of transport failure. Never the
 * request URL, which carries the bot token.
 */
export function describeTelegramError(err: unknown): string {
  if (err instanceof TelegramApiError) return `Telegram answered ${err.errorCode}: ${err.description}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
