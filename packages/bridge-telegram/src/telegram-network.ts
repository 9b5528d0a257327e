// The Telegram network plugin: a bot in Telegram groups. Telegram users appear on Matrix as ghosts; Matrix users
// appear in Telegram through the bot, which writes their messages in the relay template (the Bot API has no way to
// speak as anyone else), and which may edit and delete what it wrote, so Matrix edits and redactions carry over.

import type {
  DeliveryResult,
  MatrixEdit,
  MatrixMessage,
  MatrixRedaction,
  NetworkContext,
  NetworkHttpRoute,
  NetworkInfo,
  NetworkPlugin,
  PuppetLogin,
  RemoteRoomId,
  RemoteRoomInfo,
  RemoteUserId,
  RemoteUserInfo,
  ThirdPartyLookup,
  UserId,
} from "bridge-core";
import type { Update } from "node-telegram-bot-api";
import { TelegramAccountLinks } from "./account-links.ts";
import { TelegramAvatars } from "./avatars.ts";
import { createBotApi, describeTelegramError, isTelegramError, type TelegramBotApi } from "./bot-api.ts";
import type { TelegramConfig } from "./config.ts";
import { RelayTemplate } from "./formatting/relay.ts";
import { TelegramLinkApproval } from "./link-approval.ts";
import { ChatSendQueue } from "./send-queue.ts";
import { MAX_DOWNLOAD_BYTES } from "./telegram-files.ts";
import { chatIdOf, chatRoomId } from "./telegram-ids.ts";
import { TelegramSender } from "./telegram-sender.ts";
import { telegramThirdParty } from "./telegram-third-party.ts";
import { chatKeyOf, TelegramUpdates } from "./telegram-updates.ts";
import { UpdatePoller } from "./update-poller.ts";

const BRIDGED_CHATS = new Set(["group", "supergroup"]);
/** Where the bridge's HTTP server takes webhook calls: `/_network/telegram/webhook`. */
const WEBHOOK_PATH = "telegram/webhook";
/** How often an active user's profile photo is looked at again (Telegram does not say when it changes). */
const AVATAR_RECHECK_MS = 60 * 60_000;
/** Names of users seen lately, for user lookups; the Bot API cannot look a user up by id. */
const KNOWN_USERS_KEPT = 10_000;

export class TelegramNetwork implements NetworkPlugin {
  readonly info: NetworkInfo = {
    id: "telegram",
    displayName: "Telegram",
    ghostTemplate: "telegram_{id}",
    aliasTemplate: "telegram_{id}",
    relayByDefault: true,
  };
  /** Groups found by chat id or @username for clients' room directories. */
  readonly thirdParty: ThirdPartyLookup = telegramThirdParty(async (chat) => {
    const found = await this.api.getChat({ chat_id: chat });
    return BRIDGED_CHATS.has(found.type)
      ? { id: found.id, ...(found.title !== undefined && { title: found.title }) }
      : null;
  });
  readonly httpRoutes?: NetworkHttpRoute[];
  private readonly context: NetworkContext;
  private readonly config: TelegramConfig;
  private readonly api: TelegramBotApi;
  /** Aborted by stop(): a wait for Telegram's rate limit is cut short. */
  private readonly stopping = new AbortController();
  private readonly sender: TelegramSender;
  private readonly linkApproval: TelegramLinkApproval;
  private readonly accountLinks: TelegramAccountLinks;
  private readonly avatars: TelegramAvatars;
  /** Set once started (the bot's own id comes from Telegram), and unset by stop(): webhook posts wait for it. */
  private updates: TelegramUpdates | null = null;
  /** In polling mode, once started. */
  private poller: UpdatePoller | null = null;
  /** The bot's username, known once Telegram answered getMe; commands in groups may name it. */
  private botUsername = "";
  private readonly knownUsers = new Map<RemoteUserId, RemoteUserInfo>();
  /** The Telegram names of linked accounts (double puppeting), which outgoing messages go under. */
  private readonly linkedNames = new Map<RemoteUserId, string>();

  constructor(context: NetworkContext, config: TelegramConfig) {
    this.context = context;
    this.config = config;
    // Belt and braces: no message of this bridge quotes the token, and the log scrubs it should one ever try.
    context.logger.addSecret(config.bot_token);
    if (config.webhook !== undefined) context.logger.addSecret(config.webhook.secret_token);
    const api = createBotApi({ token: config.bot_token, apiUrl: config.api_url });
    this.api = api;
    const queue = new ChatSendQueue({
      signal: this.stopping.signal,
      onRateLimited: (chatId, retryAfterSeconds) =>
        context.logger.info("Telegram asked the bot to slow down; holding the chat's messages", {
          chatId,
          retryAfterSeconds,
        }),
    });
    this.sender = new TelegramSender({
      api,
      queue,
      relayTemplate: new RelayTemplate(config.relay_template),
      maxMessageLength: config.max_message_length,
      storage: context.storage,
      puppetName: (id) => this.linkedNames.get(id) ?? this.knownUsers.get(id)?.displayName ?? id,
    });
    this.accountLinks = new TelegramAccountLinks({
      reply: (chatId, html) => this.sender.notice(chatId, html),
    });
    this.linkApproval = new TelegramLinkApproval({
      timeoutMs: config.link_approval_seconds * 1000,
      post: (chatId, html) => this.sender.notice(chatId, html),
      isAdmin: async (chatId, userId) => {
        const member = await api.getChatMember({ chat_id: chatId, user_id: userId });
        return member.status === "creator" || member.status === "administrator";
      },
      botUsername: () => this.botUsername,
    });
    this.avatars = new TelegramAvatars({
      api,
      upload: (data, contentType, filename) => context.media.upload(data, contentType, filename),
      storage: context.storage,
      logger: context.logger,
      recheckMs: AVATAR_RECHECK_MS,
    });
    if (config.webhook !== undefined) {
      this.httpRoutes = [
        {
          path: WEBHOOK_PATH,
          secret: { header: "X-Telegram-Bot-Api-Secret-Token", value: config.webhook.secret_token },
          handle: (body) => this.onWebhook(body),
        },
      ];
    }
  }

  async start(): Promise<void> {
    const { context, api } = this;
    const me = await api.getMe().catch((err: unknown) => {
      throw new Error(`the Telegram Bot API refused the bot: ${describeTelegramError(err)}`);
    });
    this.botUsername = me.username ?? "";
    context.logger.info("connected to Telegram", { bot: me.username, botId: me.id });
    context.connectionState({ connection: "bot", state: "CONNECTED" });
    for (const { login } of await context.savedLogins()) this.rememberLinked(login);
    const updates = new TelegramUpdates({
      remote: context.remote,
      logger: context.logger,
      botId: me.id,
      replyTarget: (chatId, messageId) => this.sender.messageOfPart(chatId, messageId),
      seen: (user) => this.remember(user),
      downloadFile: async (file) => {
        if (file.size !== undefined && file.size > MAX_DOWNLOAD_BYTES) {
          throw new Error(`the file is larger than the ${MAX_DOWNLOAD_BYTES} bytes the Bot API serves`);
        }
        const { file_path } = await api.getFile({ file_id: file.fileId });
        if (file_path === undefined) throw new Error("Telegram gave no path for the file");
        return api.downloadFile(file_path, MAX_DOWNLOAD_BYTES);
      },
      isBridged: (chatId) => this.isBridged(chatId),
      command: (message) => this.linkApproval.handle(message),
      privateMessage: (message) => this.accountLinks.privateMessage(message),
      avatarOf: (userId) => this.avatars.avatarOf(userId),
    });
    const { webhook } = this.config;
    if (webhook !== undefined) {
      this.updates = updates;
      // One connection at a time, so that Telegram sends a chat's updates in order, each after the last is bridged.
      await api.setWebhook({ url: webhook.url, secret_token: webhook.secret_token, max_connections: 1 });
      context.logger.info("receiving Telegram updates by webhook", { path: `/_network/${WEBHOOK_PATH}` });
      return;
    }
    // Long polling and a webhook exclude each other: Telegram refuses getUpdates while a webhook is set.
    await api.deleteWebhook({ drop_pending_updates: false });
    this.poller = new UpdatePoller({
      api,
      timeoutSeconds: this.config.polling.timeout_seconds,
      logger: context.logger,
      handle: (update) => updates.handle(update),
      chatKeyOf,
      onOutcome: (ok, err) => this.reportPolling(ok, err),
    });
    this.poller.start();
  }

  /**
   * An update Telegram posted to the webhook (the core has checked its secret). Answered once bridged; a failure is
   * answered 500, and Telegram delivers the update again later.
   */
  private async onWebhook(body: unknown): Promise<{ status: number; body?: unknown }> {
    if (this.updates === null) return { status: 503, body: { error: "the bridge is starting" } };
    if (typeof body !== "object" || body === null || !Number.isSafeInteger((body as Update).update_id)) {
      return { status: 400, body: { error: "not a Telegram update" } };
    }
    await this.updates.handle(body as Update);
    return { status: 200 };
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    // Webhook posts from now on are answered 503, and Telegram delivers them again once the bridge is back.
    this.updates = null;
    await this.poller?.stop();
  }

  private remember(user: RemoteUserInfo): void {
    this.knownUsers.delete(user.id);
    this.knownUsers.set(user.id, user);
    if (this.knownUsers.size > KNOWN_USERS_KEPT) {
      const oldest = this.knownUsers.keys().next().value;
      if (oldest !== undefined) this.knownUsers.delete(oldest);
    }
  }

  private async isBridged(chatId: number): Promise<boolean> {
    if (this.config.create_portals === "on_activity") return true;
    return (await this.context.linkedRooms()).includes(chatRoomId(chatId));
  }

  /** Double puppeting: the Matrix side of linking a Telegram account (see account-links.ts). */
  async login(userId: UserId, args: string[]): Promise<PuppetLogin> {
    const login = await this.accountLinks.login(userId, args);
    this.rememberLinked(login);
    return login;
  }

  private rememberLinked(login: PuppetLogin): void {
    const name = login.session["name"];
    if (typeof name === "string") this.linkedNames.set(login.remoteUserId, name);
  }

  /** Linking a room to a group needs the consent of one of the group's admins (see link-approval.ts). */
  async validateLink(id: RemoteRoomId, requester: UserId): Promise<string | null> {
    const chatId = chatIdOf(id);
    if (chatId === null) return `${id} is not a Telegram chat id (such as -1001234567890)`;
    return this.linkApproval.ask(chatId, requester);
  }

  /** The bot's connection state from each getUpdates: a refused token is no passing trouble. */
  private reportPolling(ok: boolean, err?: unknown): void {
    if (ok) {
      this.context.connectionState({ connection: "bot", state: "CONNECTED" });
      return;
    }
    const refused = isTelegramError(err, 401) || isTelegramError(err, 404);
    this.context.connectionState({
      connection: "bot",
      state: refused ? "BAD_CREDENTIALS" : "TRANSIENT_DISCONNECT",
      error: refused ? "bot-token-refused" : "telegram-unreachable",
      reason: describeTelegramError(err),
    });
  }

  /** A group the bot is in; null for anything else (no such chat, a private chat, a channel). */
  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    const chatId = chatIdOf(id);
    if (chatId === null) return null;
    try {
      const chat = await this.api.getChat({ chat_id: chatId });
      if (!BRIDGED_CHATS.has(chat.type)) return null;
      return { id, ...(chat.title !== undefined && { name: chat.title }) };
    } catch (err) {
      if (isTelegramError(err, 400) || isTelegramError(err, 403)) return null;
      throw new Error(`could not look up the Telegram chat: ${describeTelegramError(err)}`);
    }
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    return this.knownUsers.get(id) ?? null;
  }

  sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    return this.sender.sendMessage(message);
  }

  sendEdit(edit: MatrixEdit): Promise<void> {
    return this.sender.sendEdit(edit);
  }

  sendRedaction(redaction: MatrixRedaction): Promise<void> {
    return this.sender.sendRedaction(redaction);
  }
}
