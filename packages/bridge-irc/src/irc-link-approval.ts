// Plumbing a channel into a Matrix room takes its operators' consent: where the channel has operators, the bot asks
// them and the link waits for one of them to answer "yes". A channel without operators has nobody to ask.

import type { UserId } from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ircLower } from "./formatting/mentions.ts";
import type { IrcConnection } from "./irc-connection.ts";

const OPERATOR_PREFIXES = new Set(["q", "a", "o"]);

export class IrcLinkApproval {
  private readonly bot: IrcConnection;
  private readonly timeoutMs: number;
  private readonly isPuppet: (nick: string) => boolean;
  /** channel (lower-case) → operators' nicks. */
  private readonly operators = new Map<string, Set<string>>();

  constructor(options: { bot: IrcConnection; timeoutMs: number; isPuppet: (nick: string) => boolean }) {
    this.bot = options.bot;
    this.timeoutMs = options.timeoutMs;
    this.isPuppet = options.isPuppet;
    const client = this.bot.client;
    client.on("userlist", (e: { channel: string; users: { nick: string; modes: string[] }[] }) => {
      const ops = e.users.filter((u) => u.modes.some((m) => OPERATOR_PREFIXES.has(m))).map((u) => u.nick);
      this.operators.set(ircLower(e.channel), new Set(ops));
    });
    client.on("mode", (e: { target: string; modes: { mode: string; param?: string }[] }) => {
      const ops = this.operators.get(ircLower(e.target));
      if (!ops) return;
      for (const { mode, param } of e.modes) {
        if (param === undefined || !OPERATOR_PREFIXES.has(mode.slice(1))) continue;
        if (mode.startsWith("+")) ops.add(param);
        else ops.delete(param);
      }
    });
    client.on("nick", (e: { nick: string; new_nick: string }) => {
      for (const ops of this.operators.values()) if (ops.delete(e.nick)) ops.add(e.new_nick);
    });
  }

  /** Resolves with null when the link may go ahead, or with the reason it may not. */
  async ask(channel: string, requester: UserId): Promise<string | null> {
    await this.bot.join(channel);
    const ops = [...(this.operators.get(ircLower(channel)) ?? [])].filter(
      (nick) => nick !== this.bot.nick && !this.isPuppet(nick),
    );
    if (ops.length === 0) return null;
    const seconds = Math.round(this.timeoutMs / 1000);
    const question = `${requester} wants to bridge ${channel} to a Matrix room. Reply "yes" to allow it or "no" to refuse (${seconds} s).`;
    for (const op of ops) this.bot.send("NOTICE", op, question);
    const lowerOps = new Set(ops.map((nick) => ircLower(nick)));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.bot.client.off("privmsg", onAnswer);
        resolve(`no operator of ${channel} approved the link within ${seconds} s`);
      }, this.timeoutMs);
      const onAnswer = (e: MessageEvent) => {
        if (ircLower(e.target) !== ircLower(this.bot.nick) || !lowerOps.has(ircLower(e.nick))) return;
        const answer = e.message.trim().toLowerCase();
        if (answer !== "yes" && answer !== "no") return;
        clearTimeout(timer);
        this.bot.client.off("privmsg", onAnswer);
        this.bot.send(
          "NOTICE",
          e.nick,
          answer === "yes" ? `Bridging ${channel}.` : `Not bridging ${channel}.`,
        );
        resolve(answer === "yes" ? null : `${e.nick}, an operator of ${channel}, refused the link`);
      };
      this.bot.client.on("privmsg", onAnswer);
    });
  }
}
