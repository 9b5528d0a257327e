// The Discord plugin's settings (`network.config` in the bridge's config), checked when the plugin is made so that a
// mistake names its key instead of failing later on the wire. The bot token is a secret: it is never logged and never
// part of an error message.

import { z } from "zod";

export const discordConfigSchema = z.strictObject({
  /** The bot's token from the Discord developer portal (Bot → Token). User tokens ("selfbots") are not supported. */
  bot_token: z.string().regex(/^[A-Za-z0-9_.-]{20,200}$/, { error: "expected a Discord bot token" }),
  /** Where the REST API is served (discord.js appends `/v10`); the gateway's address comes from it. */
  api_url: z
    .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
    .default("https://discord.com/api"),
  /** Where Discord serves avatars, server icons and stickers (discord.js's `rest.cdn`). */
  cdn_url: z
    .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
    .default("https://cdn.discordapp.com"),
  /** The name of the webhook the bridge makes in each channel, through which Matrix users speak. */
  webhook_name: z.string().min(1).max(80).default("Matrix bridge"),
  /** Files from Matrix larger than this go out as a link instead of an upload (Discord's limit without boosts). */
  max_upload_bytes: z
    .int()
    .min(1)
    .default(10 * 1024 * 1024),
  /** Files from Discord larger than this are bridged as a link. */
  max_download_bytes: z
    .int()
    .min(1)
    .default(50 * 1024 * 1024),
  /** How long a channel's moderators have to approve a Matrix room's request to link to the channel. */
  link_approval_seconds: z.int().min(10).max(86_400).default(300),
  /** Discord's limit on one message's text, in characters; longer messages are split. */
  max_message_length: z.int().min(64).max(4000).default(2000),
});

export type DiscordConfig = z.infer<typeof discordConfigSchema>;

export function parseDiscordConfig(raw: Record<string, unknown>): DiscordConfig {
  const result = discordConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  // Every check above has its own message, so no rejected value (a mistyped token) is quoted into the log.
  const problems = result.error.issues.map((i) => `network.config.${i.path.join(".")}: ${i.message}`);
  throw new Error(`invalid Discord settings:\n${problems.join("\n")}`);
}
