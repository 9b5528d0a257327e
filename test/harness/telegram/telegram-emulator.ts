// The Telegram side of the suites: the Bot API emulator (emulator-server.ts) running as a child process on a free
// port on 127.0.0.1, stopped by pid, and helpers that act as Telegram users in groups and read what the bot sent.

import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Message, MessageEntity, Update } from "node-telegram-bot-api";
import { freePort } from "../free-port.ts";
import { ManagedProcess } from "../managed-process.ts";

const SERVER_SCRIPT = join(import.meta.dirname, "emulator-server.ts");

export interface TelegramTestUser {
  id: number;
  first_name: string;
  last_name?: string;
  username?: string;
  is_bot?: boolean;
}

export interface TelegramTestGroup {
  id: number;
  title: string;
  type?: "group" | "supergroup" | "private";
}

/** A message the bot sent, as the emulator keeps it: its current text after any edits, fields as sent (strings). */
export interface BotMessage {
  message_id: number;
  time: number;
  chat_id: string;
  text: string;
  parse_mode?: string;
  reply_parameters?: string;
  caption?: string;
  /** For uploads: the file as the emulator received it. */
  photo?: UploadedFile;
  document?: UploadedFile;
  voice?: UploadedFile;
  video?: UploadedFile;
}

export interface UploadedFile {
  file_name: string;
  mime_type: string;
  file_size: number;
  sha256: string;
}

interface BotActivity {
  messages: BotMessage[];
  deleted: number[];
  rateLimited: { method: string; at: number }[];
  accepted: { method: string; at: number }[];
  failed: { method: string; at: number }[];
}

export class TelegramEmulator {
  readonly apiUrl: string;
  readonly botToken: string;
  private readonly process: ManagedProcess;

  private constructor(apiUrl: string, botToken: string, process: ManagedProcess) {
    this.apiUrl = apiUrl;
    this.botToken = botToken;
    this.process = process;
  }

  static async start(options: { runDir: string; botToken: string }): Promise<TelegramEmulator> {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    const process_ = new ManagedProcess({
      label: "Telegram emulator",
      command: process.execPath,
      args: [SERVER_SCRIPT, String(port)],
      cwd: options.runDir,
      env: { ...process.env, TELEGRAM_EMULATOR_TOKEN: options.botToken },
      outputPath: join(options.runDir, "telegram-emulator.log"),
      logPaths: [join(options.runDir, "telegram-emulator.log")],
      readiness: "answer its health check",
      isReady: async () => {
        try {
          const res = await fetch(`${apiUrl}/control/health`);
          return res.ok ? true : `HTTP ${res.status}`;
        } catch (err) {
          return String(err);
        }
      },
    });
    await process_.start();
    return new TelegramEmulator(apiUrl, options.botToken, process_);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  /** Starts the stopped emulator again on the same address; it forgets every chat and message (it keeps none). */
  restart(): Promise<void> {
    return this.process.start();
  }

  private async control<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.apiUrl}/control/${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`emulator control ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** `user` writes `text` in `group`; resolves with the message's id. */
  async say(
    group: TelegramTestGroup,
    user: TelegramTestUser,
    text: string,
    extra: { entities?: MessageEntity[]; replyTo?: number } = {},
  ): Promise<number> {
    const message = {
      from: { is_bot: false, ...user },
      chat: { id: group.id, title: group.title, type: group.type ?? "supergroup" },
      date: Math.floor(Date.now() / 1000),
      text,
      ...(extra.entities !== undefined && { entities: extra.entities }),
      ...(extra.replyTo !== undefined && {
        reply_to_message: { message_id: extra.replyTo, date: 0, chat: { id: group.id, type: "supergroup" } },
      }),
    };
    return (await this.control<{ message_id: number }>("message", { message })).message_id;
  }

  /** Any message, e.g. a service message (`new_chat_members`), from `user` in `group`. */
  async post(group: TelegramTestGroup, user: TelegramTestUser, fields: Partial<Message>): Promise<number> {
    const message = {
      from: { is_bot: false, ...user },
      chat: { id: group.id, title: group.title, type: group.type ?? "supergroup" },
      date: Math.floor(Date.now() / 1000),
      ...fields,
    };
    return (await this.control<{ message_id: number }>("message", { message })).message_id;
  }

  /** Makes the group known (as one the bot is in) without anything happening in it; `admins` are its admins. */
  async addGroup(group: TelegramTestGroup, admins: TelegramTestUser[] = []): Promise<void> {
    const chat = { id: group.id, title: group.title, type: group.type ?? "supergroup" };
    await this.control("chat", { chat, admins: admins.map((a) => a.id) });
  }

  /** A file users' messages can carry (by `fileId`), served to the bot through getFile. */
  async addFile(fileId: string, data: Uint8Array): Promise<void> {
    await this.control("file", {
      fileId,
      filePath: `files/${fileId}`,
      base64: Buffer.from(data).toString("base64"),
    });
  }

  /** Makes the file (added with addFile) `user`'s profile photo. */
  async setProfilePhoto(user: TelegramTestUser, fileId: string): Promise<void> {
    await this.control("avatar", { userId: user.id, fileId });
  }

  /** An update exactly as given (without its update_id), for kinds the emulator cannot make itself. */
  async rawUpdate(update: Omit<Update, "update_id"> | Record<string, unknown>): Promise<void> {
    await this.control("update", { update });
  }

  /** The next `count` calls of `method` are answered 429 with `retry_after` `retryAfter` seconds. */
  async rateLimit(method: string, count: number, retryAfter: number): Promise<void> {
    await this.control("inject", { method, count, status: 429, retryAfter });
  }

  /** After `skip` more calls of `method` succeed, the next `count` fail with HTTP 500 (Telegram having a bad moment). */
  async fail(method: string, options: { skip: number; count: number }): Promise<void> {
    await this.control("inject", { method, ...options, status: 500 });
  }

  activity(group: TelegramTestGroup): Promise<BotActivity> {
    return this.control<BotActivity>(`bot-messages?chat=${group.id}`);
  }

  /** Waits until what the bot did in `group` satisfies `check`, which returns a value or undefined. */
  async waitFor<T>(
    group: TelegramTestGroup,
    check: (activity: BotActivity) => T | undefined,
    description: string,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: BotActivity | undefined;
    while (Date.now() < deadline) {
      last = await this.activity(group);
      const found = check(last);
      if (found !== undefined) return found;
      await sleep(100);
    }
    const recent = (last?.messages ?? []).slice(-5).map((m) => m.text.slice(0, 200));
    throw new Error(
      `timed out waiting for the bot to ${description}; its last messages: ${JSON.stringify(recent)}`,
    );
  }

  /** Waits for a bot message in `group` that satisfies `matches`. */
  waitForBotMessage(group: TelegramTestGroup, matches: (m: BotMessage) => boolean, description: string) {
    return this.waitFor(group, (a) => a.messages.find(matches), `send ${description}`);
  }
}
