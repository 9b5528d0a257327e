// What was said lately in each bridged channel, as the bot saw it: live lines, and the channel's history the server
// replays when the bot (re)joins. It is how the bridge tells, after a crash or a dropped connection, whether a message
// it was sending when that happened reached the channel — IRC has no receipts and no way to send a line "once".

import { setTimeout as sleep } from "node:timers/promises";
import { type IrcConnection, ircLower } from "./irc-connection.ts";

export type LineKind = "PRIVMSG" | "NOTICE" | "ACTION";

export interface SeenLine {
  kind: LineKind;
  nick: string;
  text: string;
  msgid?: string;
}

interface LineEvent {
  nick?: string;
  target: string;
  message: string;
  tags: Record<string, string | undefined>;
}

/** Lines kept per channel: enough for what is said while a bridge restarts. */
const KEPT_LINES = 1_000;
/**
 * How long after the bot's join completed a history replay may still start. Servers send it right after the member
 * list, in the same burst, so this only has to cover the time that burst takes to arrive.
 */
const HISTORY_GRACE_MS = 1_000;
const SETTLE_POLL_MS = 50;

interface ChannelRecord {
  lines: SeenLine[];
  /** When the bot's current join completed (its member list arrived); undefined while it is not in the channel. */
  joinedAt?: number;
  /** Whether a history replay arrived since that join. */
  replayed: boolean;
}

export class ChannelLines {
  private readonly channels = new Map<string, ChannelRecord>();

  constructor(bot: IrcConnection) {
    const client = bot.client;
    const onLine = (kind: LineKind) => (e: LineEvent & { batch?: { type?: string } }) => {
      if (!/^[#&]/.test(e.target) || !e.nick) return;
      const record = this.record(e.target);
      record.lines.push({
        kind,
        nick: e.nick,
        text: e.message,
        ...(e.tags["msgid"] !== undefined && { msgid: e.tags["msgid"] }),
      });
      if (record.lines.length > KEPT_LINES) record.lines.splice(0, record.lines.length - KEPT_LINES);
    };
    client.on("privmsg", onLine("PRIVMSG"));
    client.on("notice", onLine("NOTICE"));
    client.on("action", onLine("ACTION"));
    // irc-framework emits a batch's lines between its start and end events, all at once when the batch closes.
    client.on("batch start chathistory", (e: { params: string[] }) => {
      const channel = e.params[0];
      if (channel !== undefined) this.record(channel).lines = [];
    });
    client.on("batch end chathistory", (e: { params: string[] }) => {
      const channel = e.params[0];
      if (channel !== undefined) this.record(channel).replayed = true;
    });
    client.on("join", (e: { nick: string; channel: string }) => {
      if (ircLower(e.nick) !== ircLower(bot.nick)) return;
      const record = this.record(e.channel);
      delete record.joinedAt;
      record.replayed = false;
    });
    client.on("userlist", (e: { channel: string }) => {
      const record = this.record(e.channel);
      record.joinedAt ??= Date.now();
    });
    client.on("socket close", () => {
      for (const record of this.channels.values()) delete record.joinedAt;
    });
  }

  private record(channel: string): ChannelRecord {
    const key = ircLower(channel);
    let record = this.channels.get(key);
    if (record === undefined) {
      record = { lines: [], replayed: false };
      this.channels.set(key, record);
    }
    return record;
  }

  /** The msgid of the latest line seen in the channel, if the server gives msgids. */
  lastMsgid(channel: string): string | undefined {
    return this.channels.get(ircLower(channel))?.lines.findLast((line) => line.msgid !== undefined)?.msgid;
  }

  /**
   * The lines said in the channel after the one with `msgid`, once the bot's view of the channel is complete (it is
   * in the channel, and any history the server replays has arrived); null when that line is not among those kept, or
   * the view is not complete within `timeoutMs`.
   */
  async linesAfter(channel: string, msgid: string, timeoutMs: number): Promise<SeenLine[] | null> {
    const record = this.record(channel);
    const deadline = Date.now() + timeoutMs;
    while (!this.settled(record)) {
      if (Date.now() > deadline) return null;
      await sleep(SETTLE_POLL_MS);
    }
    const index = record.lines.findLastIndex((line) => line.msgid === msgid);
    return index < 0 ? null : record.lines.slice(index + 1);
  }

  private settled(record: ChannelRecord): boolean {
    if (record.joinedAt === undefined) return false;
    return record.replayed || Date.now() - record.joinedAt >= HISTORY_GRACE_MS;
  }
}
