// Plumbing a channel into a Matrix room takes its operators' consent: where the channel has operators, the bot asks
// them and the link waits for one of them to answer "yes". A channel without operators has nobody to ask.
//
// A nick is not a person: an operator who parted or quit leaves their nick free for anyone. So nothing is taken from
// what the bot saw earlier. When asking, the server is asked (WHO) who the channel's operators are right now; when an
// answer comes, it is asked again, and the answer counts only if its sender is an operator at that moment, on the same
// user@host as the one asked, and — where the server reports accounts (WHOX) — logged in to the same account.

import type { UserId } from "bridge-core";
import type { MessageEvent } from "irc-framework";
import { ircLower } from "./formatting/mentions.ts";
import type { IrcConnection } from "./irc-connection.ts";

const OPERATOR_MODES = new Set(["q", "a", "o"]);
const WHO_TIMEOUT_MS = 10_000;

/** One channel member as WHO reports them. */
export interface ChannelMember {
  nick: string;
  ident: string;
  hostname: string;
  /** The services account; "" when logged out, undefined when the server does not say (no WHOX). */
  account: string | undefined;
  operator: boolean;
}

/** Whether an answer from `sender` (its line's nick, ident, host) may stand for the operator `asked`. */
export function answersFor(
  asked: ChannelMember,
  sender: Pick<MessageEvent, "nick" | "ident" | "hostname">,
  now: ChannelMember | undefined,
): boolean {
  if (now === undefined || !now.operator) return false;
  if (ircLower(now.nick) !== ircLower(sender.nick) || ircLower(asked.nick) !== ircLower(sender.nick))
    return false;
  if (sender.ident !== asked.ident || sender.hostname !== asked.hostname) return false;
  if (now.ident !== asked.ident || now.hostname !== asked.hostname) return false;
  // An account, once reported, must stay the same one; a server without WHOX reports none either time.
  return asked.account === undefined || asked.account === "" || now.account === asked.account;
}

export class IrcLinkApproval {
  private readonly bot: IrcConnection;
  private readonly timeoutMs: number;
  private readonly isPuppet: (nick: string) => boolean;

  constructor(options: { bot: IrcConnection; timeoutMs: number; isPuppet: (nick: string) => boolean }) {
    this.bot = options.bot;
    this.timeoutMs = options.timeoutMs;
    this.isPuppet = options.isPuppet;
  }

  /** The channel's members as the server reports them now; null when it does not answer. */
  private members(channel: string): Promise<Map<string, ChannelMember> | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), WHO_TIMEOUT_MS);
      this.bot.client.who(channel, (event) => {
        clearTimeout(timer);
        const users = Array.isArray(event["users"]) ? (event["users"] as Record<string, unknown>[]) : [];
        const members = new Map<string, ChannelMember>();
        for (const user of users) {
          const nick = user["nick"];
          if (typeof nick !== "string") continue;
          const modes = Array.isArray(user["channel_modes"]) ? (user["channel_modes"] as unknown[]) : [];
          members.set(ircLower(nick), {
            nick,
            ident: String(user["ident"] ?? ""),
            hostname: String(user["hostname"] ?? ""),
            account: typeof user["account"] === "string" ? user["account"] : undefined,
            operator: modes.some((m) => typeof m === "string" && OPERATOR_MODES.has(m)),
          });
        }
        resolve(members);
      });
    });
  }

  /** Resolves with null when the link may go ahead, or with the reason it may not. */
  async ask(channel: string, requester: UserId): Promise<string | null> {
    await this.bot.join(channel);
    const members = await this.members(channel);
    if (members === null) return `the IRC server did not say who the operators of ${channel} are`;
    const asked = new Map<string, ChannelMember>();
    for (const member of members.values()) {
      if (!member.operator || member.nick === this.bot.nick || this.isPuppet(member.nick)) continue;
      asked.set(ircLower(member.nick), member);
    }
    if (asked.size === 0) return null;
    const seconds = Math.round(this.timeoutMs / 1000);
    const question = `${requester} wants to bridge ${channel} to a Matrix room. Reply "yes" to allow it or "no" to refuse (${seconds} s).`;
    for (const op of asked.values()) this.bot.send("NOTICE", op.nick, question);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: string | null) => {
        settled = true;
        clearTimeout(timer);
        this.bot.client.off("privmsg", onAnswer);
        resolve(result);
      };
      const timer = setTimeout(
        () => finish(`no operator of ${channel} approved the link within ${seconds} s`),
        this.timeoutMs,
      );
      const onAnswer = (e: MessageEvent) => {
        if (ircLower(e.target) !== ircLower(this.bot.nick)) return;
        const op = asked.get(ircLower(e.nick));
        const answer = e.message.trim().toLowerCase();
        if (op === undefined || (answer !== "yes" && answer !== "no")) return;
        // Checked against the server's view now, not the one when asking: the nick may have changed hands since.
        void this.members(channel).then((now) => {
          if (settled) return;
          if (!answersFor(op, e, now?.get(ircLower(e.nick)))) {
            this.bot.send("NOTICE", e.nick, `You are not the operator of ${channel} who was asked; ignored.`);
            return;
          }
          this.bot.send(
            "NOTICE",
            e.nick,
            answer === "yes" ? `Bridging ${channel}.` : `Not bridging ${channel}.`,
          );
          finish(answer === "yes" ? null : `${e.nick}, an operator of ${channel}, refused the link`);
        });
      };
      this.bot.client.on("privmsg", onAnswer);
    });
  }
}
