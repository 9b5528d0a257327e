// Matrix messages onto IRC exactly once. A message counts as delivered only once the server confirmed its lines (see
// IrcConnection.sendLines), so a crash or a dropped connection before that leaves it to be sent again. Sending again
// blindly would repeat what did arrive, so before each channel message the bridge records which message it is sending
// and after which line of the channel; when the core hands it the same message again, the bot's view of the channel
// (channel-lines.ts) tells which of its lines arrived, and only the rest is sent.

import type { EventId, Logger, NetworkContext } from "bridge-core";
import type { ChannelLines, LineKind } from "./channel-lines.ts";
import { type IrcConnection, ircLower } from "./irc-connection.ts";

/** What a channel's message in flight was: which event, as whom, and after which line of the channel. */
interface InFlight {
  eventId: EventId;
  nick: string;
  after?: string;
}

export interface OutgoingLines {
  connection: IrcConnection;
  kind: LineKind;
  /** A channel, or a nick for a private message. */
  target: string;
  lines: string[];
  eventId?: EventId;
  mayHaveBeenSent?: boolean;
}

/** How long to wait for the bot to be back in the channel, with its history, before deciding without it. */
const VIEW_TIMEOUT_MS = 15_000;

export class IrcDelivery {
  private readonly storage: NetworkContext["storage"];
  private readonly channelLines: ChannelLines;
  private readonly logger: Logger;

  constructor(options: { storage: NetworkContext["storage"]; channelLines: ChannelLines; logger: Logger }) {
    this.storage = options.storage;
    this.channelLines = options.channelLines;
    this.logger = options.logger;
  }

  async send(out: OutgoingLines): Promise<void> {
    const { connection, kind, target, eventId } = out;
    // Private messages have no history to look in: those are sent again when in doubt.
    if (!/^[#&]/.test(target) || eventId === undefined) {
      await connection.sendLines(kind, target, out.lines);
      return;
    }
    const key = `in-flight:${ircLower(target)}`;
    let lines = out.lines;
    if (out.mayHaveBeenSent) {
      const previous = (await this.storage.get(key)) as InFlight | undefined;
      if (previous?.eventId === eventId)
        lines = lines.slice(await this.linesArrived(previous, target, kind, lines));
      if (lines.length === 0) return;
    }
    const after = this.channelLines.lastMsgid(target);
    const record: InFlight = { eventId, nick: connection.nick, ...(after !== undefined && { after }) };
    await this.storage.put(key, record);
    await connection.sendLines(kind, target, lines);
    this.logger.debug("delivered to IRC", { eventId, target, lines: lines.length });
  }

  /** How many of `lines`, from the start, the channel already has from the earlier attempt. */
  private async linesArrived(
    previous: InFlight,
    channel: string,
    kind: LineKind,
    lines: string[],
  ): Promise<number> {
    const seen =
      previous.after === undefined
        ? null
        : await this.channelLines.linesAfter(channel, previous.after, VIEW_TIMEOUT_MS);
    if (seen === null) {
      this.logger.warn("cannot tell whether a message reached the channel before; sending it again", {
        channel,
        eventId: previous.eventId,
      });
      return 0;
    }
    // One message of a room is sent at a time, so what that nick said after the recorded line is this message's start.
    const ours = seen.filter((line) => line.kind === kind && ircLower(line.nick) === ircLower(previous.nick));
    let arrived = 0;
    while (arrived < lines.length && ours[arrived]?.text === lines[arrived]) arrived++;
    this.logger.info("resuming a message that may have reached the channel", {
      channel,
      eventId: previous.eventId,
      arrived,
      of: lines.length,
    });
    return arrived;
  }
}
