// The Telegram plugin's settings (`network.config` in the bridge's config), checked when the plugin is built so that
// a mistake names its key instead of failing later on the wire. The bot token is a secret: it is never logged and
// never part of an error message.

import { z } from "zod";

export const telegramConfigSchema = z.strictObject({
  /** The token @BotFather gave the bot (`123456:ABC-…`). */
  bot_token: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{1,100}$/, { error: "expected a bot token such as 123456:ABC-def" }),
  /** Where the Bot API is served: Telegram's own, or a self-hosted Bot API server. */
  api_url: z
    .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
    .default("https://api.telegram.org"),
  /**
   * Webhook mode instead of long polling: Telegram posts each update to `url`, which must reach the bridge's HTTP
   * server at `/_network/telegram/webhook` (through a TLS proxy: Telegram posts only to https on ports 443, 80, 88
   * and 8443), with `secret_token` in a header that the bridge checks.
   */
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: "expected the public https:// URL of the webhook" }),
      secret_token: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, {
        error: "expected 16 to 256 characters of A-Z, a-z, 0-9, _ and -",
      }),
    })
    .optional(),
  polling: z
    .strictObject({
      /** How long one getUpdates call waits for updates on the server before answering empty. */
      timeout_seconds: z.int().min(0).max(50).default(30),
    })
    .prefault({}),
  /**
   * How the bot writes each line of a Matrix user's message, in Telegram's HTML: `{displayname}` is the sender's name
   * (escaped), `{message}` the line with its formatting.
   */
  relay_template: z
    .string()
    .refine((v) => v.includes("{message}"), { error: "must contain {message}" })
    .default("<b>{displayname}</b>: {message}"),
  /**
   * When a group gets its portal: `on_activity`, as soon as anything happens in it (or someone joins its alias);
   * `on_request`, only when someone joins its alias or links a room to it — what is said before is not bridged.
   */
  create_portals: z.enum(["on_activity", "on_request"]).default("on_activity"),
  /** How long a group's admins have to confirm a Matrix room's request to link to the group. */
  link_approval_seconds: z.number().min(1).default(300),
  /** Telegram's limit on one message's text, in UTF-16 code units; longer messages are split. */
  max_message_length: z.int().min(16).max(4096).default(4096),
});

export type TelegramConfig = z.infer<typeof telegramConfigSchema>;

export function parseTelegramConfig(raw: Record<string, unknown>): TelegramConfig {
  const result = telegramConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  // Every check above has its own message, so no rejected value (a mistyped token) is quoted into the log.
  const problems = result.error.issues.map((i) => `network.config.${i.path.join(".")}: ${i.message}`);
  throw new Error(`invalid Telegram settings:\n${problems.join("\n")}`);
}
