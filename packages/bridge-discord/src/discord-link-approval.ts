// Linking a Matrix room to a Discord channel (`!link <guild id>/<channel id>`) needs both sides' consent: the core
// checks that the Matrix user moderates their room, and this asks the channel. The bot posts the request there and
// reacts ✅ and ❌ to it; a member who may manage the channel or its webhooks (what a bridge changes in a channel)
// approves with ✅ or refuses with ❌. Reactions of anyone else count for nothing. Reactions are answered outside the
// channel's event queue: that queue may be waiting for the core, which waits for this answer.

import {
  type Client,
  type GuildTextBasedChannel,
  PermissionFlagsBits,
  type TextBasedChannel,
} from "discord.js";
import { escapeMarkdown } from "./rich-to-markdown.ts";

export const APPROVE = "✅";
export const REFUSE = "❌";

interface Pending {
  channelId: string;
  settle(refusal: string | null): void;
}

export class DiscordLinkApproval {
  private readonly pending = new Map<string, Pending>();
  private readonly client: Client;
  private readonly timeoutMs: number;

  constructor(client: Client, timeoutMs: number) {
    this.client = client;
    this.timeoutMs = timeoutMs;
  }

  /** Resolves with null once a moderator of the channel approved, or with the reason the link is refused. */
  async ask(channel: GuildTextBasedChannel, requester: string): Promise<string | null> {
    const seconds = Math.round(this.timeoutMs / 1000);
    const request = await channel.send({
      content:
        `**${escapeMarkdown(requester)}** asks to bridge this channel with a Matrix room. A member who may manage ` +
        `this channel or its webhooks can allow it by reacting ${APPROVE} to this message, or refuse with ` +
        `${REFUSE}, within ${seconds} seconds.`,
      allowedMentions: { parse: [] },
    });
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<string | null>((resolve) => {
      const settle = (refusal: string | null) => {
        this.pending.delete(request.id);
        resolve(refusal);
      };
      this.pending.set(request.id, { channelId: channel.id, settle });
      timer = setTimeout(
        () => settle(`No moderator of the Discord channel approved the link within ${seconds} seconds.`),
        this.timeoutMs,
      );
    });
    try {
      await request.react(APPROVE);
      await request.react(REFUSE);
      const refusal = await answer;
      await channel.send(refusal === null ? "The link is approved." : `The link is refused. ${refusal}`);
      return refusal;
    } finally {
      clearTimeout(timer);
      this.pending.get(request.id)?.settle("The link request was withdrawn.");
    }
  }

  /** Whether a message is a link request waiting for its answer. */
  isRequest(messageId: string): boolean {
    return this.pending.has(messageId);
  }

  /** A reaction on a link request: counts when it is ✅ or ❌ of a member who may manage the channel. */
  async reaction(messageId: string, userId: string, emoji: string | null): Promise<void> {
    const pending = this.pending.get(messageId);
    if (pending === undefined || userId === this.client.user?.id) return;
    if (emoji !== APPROVE && emoji !== REFUSE) return;
    const channel = this.client.channels.cache.get(pending.channelId) as TextBasedChannel | undefined;
    if (channel === undefined || channel.isDMBased()) return;
    const member = await channel.guild.members.fetch(userId).catch(() => undefined);
    if (member === undefined) return;
    const may = channel
      .permissionsFor(member)
      .any([PermissionFlagsBits.ManageWebhooks, PermissionFlagsBits.ManageChannels]);
    if (!may) return;
    pending.settle(emoji === APPROVE ? null : `${member.displayName} refused it on Discord.`);
  }
}
