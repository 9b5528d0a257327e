// Double puppeting: a Discord user links their Matrix account, so that what they write on Discord appears on Matrix
// as that account (the core's double puppeting) and what that account writes on Matrix goes out through the channel's
// webhook under their Discord name and avatar. A bot cannot log anyone in to Discord (that needs the user's own token,
// which Discord's terms forbid handing to a program, or an OAuth2 flow with a public redirect address), so both
// sides agree instead: the Discord user asks the bot in a direct message, naming the Matrix account, and gets a
// one-time code there; the Matrix account confirms with `login <code>` to the bridge's bot. A code is good for one
// account, once, for ten minutes.

import { randomBytes } from "node:crypto";
import { isUserId, type PuppetLogin, type UserId } from "bridge-core";
import type { Message } from "discord.js";
import { userId as discordUserId } from "./discord-ids.ts";

export const ACCOUNT_COMMAND = "!matrix";
const CODE_LIFETIME_MS = 10 * 60_000;

interface PendingLink {
  discordId: string;
  matrixUser: UserId;
  expires: number;
}

export class DiscordAccountLinks {
  private readonly pending = new Map<string, PendingLink>();

  /** A direct message to the bot: the request for a code, or anything else, answered with how to ask. */
  async directMessage(message: Message): Promise<void> {
    if (message.author.bot) return;
    const [command, matrixUser, ...rest] = message.content.trim().split(/\s+/);
    if (command !== ACCOUNT_COMMAND || rest.length > 0) {
      await message.reply(
        "This bot bridges Discord channels with Matrix. To appear on Matrix as your own Matrix account, send " +
          `\`${ACCOUNT_COMMAND} @you:your.server\` here.`,
      );
      return;
    }
    if (!isUserId(matrixUser)) {
      await message.reply(`Name a Matrix account: \`${ACCOUNT_COMMAND} @you:your.server\`.`);
      return;
    }
    this.forgetExpired();
    const code = randomBytes(5).toString("hex");
    this.pending.set(code, {
      discordId: message.author.id,
      matrixUser,
      expires: Date.now() + CODE_LIFETIME_MS,
    });
    await message.reply(
      `To confirm, send \`login ${code}\` to the bridge's bot on Matrix, in a direct chat with it, from ` +
        `\`${matrixUser}\`, within ${CODE_LIFETIME_MS / 60_000} minutes.`,
    );
  }

  /** The core's `login`: the Matrix side of the agreement. Throws with the reason shown to the user. */
  login(userId: UserId, args: string[]): PuppetLogin {
    this.forgetExpired();
    const [code] = args;
    const pending = code === undefined ? undefined : this.pending.get(code);
    if (code === undefined || args.length !== 1 || pending === undefined) {
      throw new Error(
        `send "${ACCOUNT_COMMAND} ${userId}" to the Discord bot in a direct message, then login with the code it gives`,
      );
    }
    if (pending.matrixUser !== userId) throw new Error("that code was made for another Matrix account");
    this.pending.delete(code);
    return { remoteUserId: discordUserId(pending.discordId), session: {} };
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [code, link] of this.pending) if (link.expires <= now) this.pending.delete(code);
  }
}
