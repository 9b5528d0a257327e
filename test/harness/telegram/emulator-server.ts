// The Telegram Bot API emulator as the suites run it: telegram-test-api's server in a process of its own (started
// by telegram-emulator.ts, stopped by pid), behind a small front that adds what the suites need and the emulator
// lacks — messages from any user in any group, raw updates of any kind (edits, kinds the bridge does not know),
// getChat and getChatMember for the groups it was told of, profile photos, a webhook that carries its secret, files both ways
// (getFile and downloads; uploads by sendPhoto, sendVideo, sendAudio, sendVoice and sendDocument), and 429s or failures on
// request — and reports what the bot did.
//
// Usage: node emulator-server.ts <port>; the bot token comes in TELEGRAM_EMULATOR_TOKEN.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import TelegramServer from "telegram-test-api";

interface StoredUpdate {
  time: number;
  botToken: string;
  updateId: number;
  messageId: number;
  isRead: boolean;
  message?: Record<string, unknown>;
  raw?: Record<string, unknown>;
}

/** The parts of telegram-test-api's server this front reaches into (its typings keep some of them private). */
interface EmulatorInternals {
  updateId: number;
  messageId: number;
  webServer: (req: IncomingMessage, res: ServerResponse) => void;
  storage: { userMessages: StoredUpdate[]; botMessages: StoredUpdate[] };
  addUserMessage(message: Record<string, unknown>): Promise<void>;
  addBotMessage(message: Record<string, unknown>, botToken: string): Record<string, unknown>;
  deleteMessage(chatId: number, messageId: number): boolean;
  setWebhook(webhook: { url: string }, botToken: string): void;
  deleteWebhook(botToken: string): void;
}

const port = Number(process.argv[2]);
const token = process.env["TELEGRAM_EMULATOR_TOKEN"] ?? "";
if (!Number.isInteger(port) || token === "")
  throw new Error("usage: emulator-server.ts <port>, with TELEGRAM_EMULATOR_TOKEN");

// Raw updates are stored beside the emulator's own and come out as they were given.
const TelegramServerClass = TelegramServer as unknown as {
  formatUpdate(update: StoredUpdate): unknown;
  new (config: Record<string, unknown>): unknown;
};
const formatUpdate = TelegramServerClass.formatUpdate.bind(TelegramServerClass);
TelegramServerClass.formatUpdate = (update) =>
  update.raw !== undefined ? { update_id: update.updateId, ...update.raw } : formatUpdate(update);

const emulator = new TelegramServerClass({
  port,
  host: "127.0.0.1",
  storeTimeout: 3600,
}) as EmulatorInternals;
const chats = new Map<number, Record<string, unknown>>();
const admins = new Map<number, Set<number>>();
const files = new Map<string, { path: string; data: Buffer }>();
/** Users' profile photos, by user id: the file id of each. */
const avatars = new Map<number, string>();
/** The bot's webhook; the emulator posts to the relay below, which adds the secret header it does not send. */
let webhook: { url: string; secret: string } | null = null;
const RELAY_URL = `http://127.0.0.1:${port}/control/webhook-relay`;

async function postToWebhook(update: unknown): Promise<number> {
  if (webhook === null) throw new Error("no webhook is set");
  const res = await fetch(webhook.url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhook.secret },
    body: JSON.stringify(update),
  });
  await res.body?.cancel();
  return res.status;
}
const deleted: { chatId: number; messageId: number }[] = [];
/** Answers to give instead of the emulator's: 429 with a retry_after, or a failure such as 500. */
const injected: { method: string; skip: number; remaining: number; status: number; retryAfter?: number }[] =
  [];
const rateLimited: { method: string; at: number }[] = [];
const accepted: { method: string; at: number }[] = [];
const failed: { method: string; at: number }[] = [];

const deleteMessage = emulator.deleteMessage.bind(emulator);
emulator.deleteMessage = (chatId, messageId) => {
  const found = deleteMessage(chatId, messageId);
  if (found) deleted.push({ chatId, messageId });
  return found;
};

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function control(path: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body =
    req.method === "POST" ? (JSON.parse((await bodyOf(req)) || "{}") as Record<string, unknown>) : {};
  switch (path) {
    case "health":
      return reply(res, 200, { ok: true });
    case "message": {
      const message = body["message"] as Record<string, unknown>;
      const chat = message["chat"] as Record<string, unknown>;
      chats.set(Number(chat["id"]), chat);
      const messageId = emulator.messageId;
      await emulator.addUserMessage({ ...message, botToken: token });
      return reply(res, 200, { message_id: messageId });
    }
    case "chat": {
      const chat = body["chat"] as Record<string, unknown>;
      chats.set(Number(chat["id"]), chat);
      admins.set(Number(chat["id"]), new Set((body["admins"] as number[] | undefined) ?? []));
      return reply(res, 200, { ok: true });
    }
    case "file": {
      const data = Buffer.from(String(body["base64"]), "base64");
      files.set(String(body["fileId"]), { path: String(body["filePath"]), data });
      return reply(res, 200, { ok: true });
    }
    case "webhook-relay":
      return reply(res, await postToWebhook(body), {});
    case "avatar":
      avatars.set(Number(body["userId"]), String(body["fileId"]));
      return reply(res, 200, { ok: true });
    case "update": {
      if (webhook !== null) {
        const status = await postToWebhook({ update_id: emulator.updateId++, ...(body["update"] as object) });
        return reply(res, status === 200 ? 200 : 502, { status });
      }
      emulator.storage.userMessages.push({
        raw: body["update"] as Record<string, unknown>,
        // The emulator's deleteMessage looks at every stored update's message chat; this one matches no chat.
        message: { chat: { id: null } },
        botToken: token,
        updateId: emulator.updateId++,
        messageId: 0,
        time: Date.now(),
        isRead: false,
      });
      return reply(res, 200, { ok: true });
    }
    case "inject":
      injected.push({
        method: String(body["method"]),
        skip: Number(body["skip"] ?? 0),
        remaining: Number(body["count"]),
        status: Number(body["status"]),
        ...(body["retryAfter"] !== undefined && { retryAfter: Number(body["retryAfter"]) }),
      });
      return reply(res, 200, { ok: true });
    case "bot-messages": {
      const chatId = url.searchParams.get("chat");
      const messages = emulator.storage.botMessages
        .filter((u) => String(u.message?.["chat_id"]) === chatId)
        .map((u) => ({
          ...u.message,
          text: u.message?.["text"] ?? "",
          message_id: u.messageId,
          time: u.time,
        }));
      return reply(res, 200, {
        messages,
        deleted: deleted.filter((d) => String(d.chatId) === chatId).map((d) => d.messageId),
        rateLimited,
        accepted,
        failed,
      });
    }
    default:
      return reply(res, 404, { error: `no control ${path}` });
  }
}

async function getChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chat = chats.get(Number(new URLSearchParams(await bodyOf(req)).get("chat_id")));
  if (chat === undefined)
    return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: chat not found" });
  return reply(res, 200, { ok: true, result: { id: chat["id"], type: chat["type"], title: chat["title"] } });
}

async function getChatMember(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const params = new URLSearchParams(await bodyOf(req));
  const chatId = Number(params.get("chat_id"));
  const userId = Number(params.get("user_id"));
  if (!chats.has(chatId))
    return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: chat not found" });
  const status = admins.get(chatId)?.has(userId) ? "administrator" : "member";
  return reply(res, 200, {
    ok: true,
    result: { status, user: { id: userId, is_bot: false, first_name: "?" } },
  });
}

async function getFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fileId = new URLSearchParams(await bodyOf(req)).get("file_id") ?? "";
  const file = files.get(fileId);
  if (file === undefined)
    return reply(res, 400, { ok: false, error_code: 400, description: "Bad Request: invalid file_id" });
  const result = {
    file_id: fileId,
    file_unique_id: fileId,
    file_size: file.data.byteLength,
    file_path: file.path,
  };
  return reply(res, 200, { ok: true, result });
}

/** The upload methods: the file is kept as its name, type, size and SHA-256, beside the caption. */
function upload(field: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = await new Response(Readable.toWeb(req) as ReadableStream, {
      headers: { "content-type": req.headers["content-type"] ?? "" },
    }).formData();
    const part = form.get(field);
    if (!(part instanceof File))
      return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: no ${field}` });
    const data = Buffer.from(await part.arrayBuffer());
    const message: Record<string, unknown> = {
      [field]: {
        file_name: part.name,
        mime_type: part.type,
        file_size: data.byteLength,
        sha256: createHash("sha256").update(data).digest("hex"),
      },
    };
    for (const [key, value] of form.entries()) if (typeof value === "string") message[key] = value;
    return reply(res, 200, { ok: true, result: emulator.addBotMessage(message, token) });
  };
}

async function setWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const params = new URLSearchParams(await bodyOf(req));
  webhook = { url: params.get("url") ?? "", secret: params.get("secret_token") ?? "" };
  emulator.setWebhook({ url: RELAY_URL }, token);
  return reply(res, 200, { ok: true, result: true });
}

async function deleteWebhook(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  webhook = null;
  emulator.deleteWebhook(token);
  return reply(res, 200, { ok: true, result: true });
}

async function getUserProfilePhotos(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fileId = avatars.get(Number(new URLSearchParams(await bodyOf(req)).get("user_id")));
  const photos =
    fileId === undefined
      ? []
      : [[{ file_id: fileId, file_unique_id: `u-${fileId}`, width: 640, height: 640 }]];
  return reply(res, 200, { ok: true, result: { total_count: photos.length, photos } });
}

const OWN_METHODS: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
  getUserProfilePhotos,
  setWebhook,
  deleteWebhook,
  getChat,
  getChatMember,
  getFile,
  sendPhoto: upload("photo"),
  sendVideo: upload("video"),
  sendAudio: upload("audio"),
  sendVoice: upload("voice"),
  sendDocument: upload("document"),
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
  const controlPath = /^\/control\/([a-z-]+)$/.exec(url.pathname)?.[1];
  if (controlPath !== undefined) {
    control(controlPath, req, res, url).catch((err: unknown) => reply(res, 500, { error: String(err) }));
    return;
  }
  const filePath = /^\/file\/bot[^/]+\/(.+)$/.exec(url.pathname)?.[1];
  if (filePath !== undefined) {
    const file = [...files.values()].find((f) => f.path === decodeURIComponent(filePath));
    if (file === undefined) return reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(file.data);
    return;
  }
  const method = /^\/bot[^/]+\/([A-Za-z]+)$/.exec(url.pathname)?.[1];
  if (method !== undefined) {
    const answer = injected.find((l) => l.method === method && l.remaining > 0);
    if (answer !== undefined && answer.skip > 0) answer.skip--;
    else if (answer !== undefined) {
      answer.remaining--;
      if (answer.retryAfter !== undefined) {
        rateLimited.push({ method, at: Date.now() });
        return reply(res, 429, {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${answer.retryAfter}`,
          parameters: { retry_after: answer.retryAfter },
        });
      }
      failed.push({ method, at: Date.now() });
      return reply(res, answer.status, {
        ok: false,
        error_code: answer.status,
        description: "Internal Server Error",
      });
    }
    if (method !== "getUpdates") accepted.push({ method, at: Date.now() });
    const own = OWN_METHODS[method];
    if (own !== undefined) {
      own(req, res).catch((err: unknown) => reply(res, 500, { error: String(err) }));
      return;
    }
  }
  emulator.webServer(req, res);
});
server.listen(port, "127.0.0.1");
// Nothing here outlives the process, so there is nothing to wind down.
process.on("SIGTERM", () => process.exit(0));
