// Matrix → remote: messages, edits, redactions and reactions of Matrix users in bridged rooms, sent through the
// network plugin as each user's puppet or through the relay, with readable fallbacks where the network lacks a
// feature. Every event that went out is mapped to its remote id, so later edits, replies and redactions find it.

import {
  type EventId,
  isEventId,
  type RemoteMessageId,
  type RemoteUserId,
  type RoomId,
  type UserId,
} from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin, SendAs } from "../network.ts";
import type { BridgeStore, MatrixEventJson, RoomLink } from "../store/store.ts";
import { isAuthor, mayRedact } from "./authorship.ts";
import type { DeliveriesInFlight } from "./deliveries-in-flight.ts";
import { deliverWithRetries } from "./delivery-retries.ts";
import {
  editOf,
  type Json,
  MEDIA_MSGTYPES,
  mediaOf,
  obj,
  reactionOf,
  redactionTarget,
  replyTarget,
  str,
  stripReplyFallback,
} from "./matrix-content.ts";
import type { Puppets } from "./puppets.ts";
import { relayLines, relayWrap, singleLine } from "./relay-text.ts";

export interface MatrixToRemoteDeps {
  store: BridgeStore;
  intents: IntentFactory;
  network: NetworkPlugin;
  puppets: Puppets;
  /** Where the messages being sent are counted, for answers about them that arrive before they are mapped. */
  inFlight: DeliveriesInFlight;
  relayTemplate: string;
  /** Aborted when the bridge stops. */
  stopping: AbortSignal;
  /** Pauses before each retry of a delivery that failed for a passing reason; their number is the number of retries. */
  retryDelaysMs: readonly number[];
  displayNameOf: (roomId: RoomId, userId: UserId) => Promise<string>;
  logger: Logger;
  /** Counts what was bridged and what failed, for metrics. */
  onBridged: (type: string, receivedAt: number) => void;
  onFailed: (type: string) => void;
}

export class MatrixToRemote {
  private readonly deps: MatrixToRemoteDeps;

  constructor(deps: MatrixToRemoteDeps) {
    this.deps = deps;
  }

  private get caps() {
    return this.deps.network.info.capabilities;
  }

  /** Who the event goes out as; tells the sender why when it cannot go out at all. */
  private async sendAs(link: RoomLink, sender: UserId): Promise<SendAs | null> {
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (as === null) {
      const name = this.deps.network.info.displayName;
      await this.notice(
        link.roomId,
        `${sender}: your message was not sent to ${name}: you are not logged in, and this room does not relay messages. Send "login" to me in a DM, or ask a moderator for "!relay on".`,
      );
    }
    return as;
  }

  private async remoteIdOf(link: RoomLink, eventId: EventId): Promise<RemoteMessageId | undefined> {
    return (await this.deps.store.getEventLinkByMatrix(link.roomId, eventId))?.remoteMessageId;
  }

  private async notice(roomId: RoomId, text: string): Promise<void> {
    await this.deps.intents.bot.sendNotice(roomId, text);
  }

  /** An edit or redaction the sender had no right to: not bridged, and they are told why. */
  private async refused(link: RoomLink, sender: UserId, what: string, why: string): Promise<void> {
    this.deps.logger.info(`${what} of someone else's message not bridged`, { roomId: link.roomId, sender });
    const name = this.deps.network.info.displayName;
    await this.notice(link.roomId, `${sender}: your ${what} was not sent to ${name}: ${why}.`);
  }

  private async mapped(link: RoomLink, eventId: string | undefined, remoteId: RemoteMessageId | undefined) {
    if (!isEventId(eventId) || remoteId === undefined) return;
    await this.deps.store.putEventLink({
      roomId: link.roomId,
      eventId,
      remoteRoomId: link.remoteRoomId,
      remoteMessageId: remoteId,
    });
  }

  /** Runs one delivery, retrying passing trouble (see delivery-retries.ts). */
  private deliver(
    link: RoomLink,
    sender: UserId,
    type: string,
    receivedAt: number,
    run: (retrying: boolean) => Promise<void>,
    resumed = false,
  ): Promise<void> {
    return deliverWithRetries(this.deps, { link, sender, type, receivedAt, run, resumed }, (text) =>
      this.notice(link.roomId, text),
    );
  }

  async message(
    link: RoomLink,
    sender: UserId,
    event: MatrixEventJson,
    receivedAt: number,
    resumed = false,
  ): Promise<void> {
    const content = obj(event["content"]);
    const edit = editOf(content);
    if (edit) return this.edit(link, sender, edit.target, edit.newContent, event, receivedAt);
    const msgtype = str(content["msgtype"]);
    const rawBody = str(content["body"]);
    if (msgtype === undefined || rawBody === undefined) return;
    // Resumed after a crash between delivering and marking the event handled: it went out already. Only a room's
    // first resumed event can be in that state (see InboxEntry.resumed), so no other pays for the lookup.
    const eventId = event["event_id"];
    if (resumed && isEventId(eventId) && (await this.deps.store.getEventLinkByMatrix(link.roomId, eventId)))
      return;
    const as = await this.sendAs(link, sender);
    if (as === null) return;
    const rawHtml =
      content["format"] === "org.matrix.custom.html" ? str(content["formatted_body"]) : undefined;
    const replyTo = replyTarget(content);
    let { body, html } = replyTo ? stripReplyFallback(rawBody, rawHtml) : { body: rawBody, html: rawHtml };
    const replyRemoteId = replyTo ? await this.remoteIdOf(link, replyTo) : undefined;
    if (replyTo && (!this.caps.replies || replyRemoteId === undefined)) {
      body = `${await this.quote(link, replyTo)}${body}`;
      html = undefined;
    }
    // Every line carries the sender's name: a line break must not start a line that reads as someone else's.
    const relayed = as.kind === "relay" && this.caps.formatsRelay !== true;
    if (relayed) {
      body = relayLines(this.deps.relayTemplate, as.displayName, body, msgtype === "m.emote");
      html = undefined;
    }
    const media = MEDIA_MSGTYPES.has(msgtype) ? mediaOf(content) : undefined;
    const delivered = async (retrying: boolean) => {
      const result = await this.deps.network.sendMessage({
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        ...(link.peer !== undefined && { direct: link.peer }),
        ...(isEventId(eventId) && { eventId }),
        ...(retrying && { mayHaveBeenSent: true as const }),
        sender,
        as,
        msgtype:
          as.kind === "relay" && msgtype === "m.emote" && this.caps.formatsRelay !== true
            ? "m.text"
            : msgtype,
        body,
        ...(relayed && {
          relayWrap:
            msgtype === "m.emote"
              ? { before: `* ${as.displayName} `, after: "" }
              : relayWrap(this.deps.relayTemplate, as.displayName),
        }),
        ...(html !== undefined && { html }),
        ...(this.caps.replies && replyRemoteId !== undefined && { replyTo: replyRemoteId }),
        ...(media !== undefined && { media }),
      });
      await this.mapped(link, str(event["event_id"]), result.remoteMessageId);
    };
    await this.deps.inFlight.track(link.remoteRoomId, () =>
      this.deliver(link, sender, msgtype, receivedAt, delivered, resumed),
    );
  }

  /** "> original text" for networks without replies, or when the original was never bridged. */
  private async quote(link: RoomLink, eventId: EventId): Promise<string> {
    const original = await this.deps.intents.bot.getEvent(link.roomId, eventId).catch(() => null);
    const text = str(obj(original?.["content"])["body"]);
    const author = str(original?.["sender"]);
    if (text === undefined || author === undefined) return "";
    const name = await this.deps.displayNameOf(link.roomId, author as UserId);
    const firstLine = stripReplyFallback(text, undefined).body.split("\n")[0] ?? "";
    return `> <${name}> ${firstLine.length > 80 ? `${firstLine.slice(0, 80)}…` : firstLine}\n`;
  }

  private async edit(
    link: RoomLink,
    sender: UserId,
    target: EventId,
    newContent: Json,
    event: MatrixEventJson,
    receivedAt: number,
  ): Promise<void> {
    const body = str(newContent["body"]);
    if (body === undefined) return;
    // Homeservers let anyone send an edit of any message; only its author's goes on (see authorship.ts).
    if (!(await isAuthor(this.deps.intents, link.roomId, target, sender))) {
      await this.refused(link, sender, "edit", "only its author can edit a message");
      return;
    }
    const as = await this.sendAs(link, sender);
    if (as === null) return;
    const remoteTarget = await this.remoteIdOf(link, target);
    const html =
      newContent["format"] === "org.matrix.custom.html" ? str(newContent["formatted_body"]) : undefined;
    const { sendEdit } = this.deps.network;
    // A relayed edit needs a plugin that writes the relay prefix itself; the core's text would lose it.
    const canEdit = as.kind === "puppet" || this.caps.formatsRelay === true;
    if (this.caps.edits && sendEdit && remoteTarget !== undefined && canEdit) {
      await this.deliver(link, sender, "m.replace", receivedAt, () =>
        sendEdit.call(this.deps.network, {
          roomId: link.roomId,
          remoteRoomId: link.remoteRoomId,
          sender,
          as,
          target: remoteTarget,
          body,
          ...(html !== undefined && { html }),
        }),
      );
      return;
    }
    // Without edits the correction goes out as a new message, marked the way chat users mark corrections.
    const relayed = as.kind === "relay" && this.caps.formatsRelay !== true;
    const text = relayed ? relayLines(this.deps.relayTemplate, as.displayName, `* ${body}`) : `* ${body}`;
    await this.deliver(link, sender, "m.replace", receivedAt, async () => {
      const result = await this.deps.network.sendMessage({
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        msgtype: "m.text",
        body: text,
        ...(relayed && { relayWrap: relayWrap(this.deps.relayTemplate, as.displayName) }),
      });
      await this.mapped(link, str(event["event_id"]), result.remoteMessageId);
    });
  }

  async redaction(link: RoomLink, sender: UserId, event: MatrixEventJson, receivedAt: number): Promise<void> {
    const target = redactionTarget(event);
    const { sendRedaction } = this.deps.network;
    if (target === undefined || !this.caps.redactions || !sendRedaction) return;
    const remoteTarget = await this.remoteIdOf(link, target);
    if (remoteTarget === undefined) return;
    // A stored redaction is not an applied one: the homeserver keeps those of users without the power too.
    if (!(await mayRedact(this.deps.intents, link.roomId, target, sender))) {
      await this.refused(link, sender, "redaction", "only its author or a moderator can remove a message");
      return;
    }
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (as === null) return;
    const reason = str(obj(event["content"])["reason"]);
    await this.deliver(link, sender, "m.room.redaction", receivedAt, () =>
      sendRedaction.call(this.deps.network, {
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        target: remoteTarget,
        ...(reason !== undefined && { reason }),
      }),
    );
  }

  /** A topic or name set by a Matrix user: the network sets it too, as the user's puppet (it needs their rights). */
  async roomChange(
    link: RoomLink,
    sender: UserId,
    event: MatrixEventJson,
    receivedAt: number,
  ): Promise<void> {
    const { handleRoomChange } = this.deps.network;
    const content = obj(event["content"]);
    const change =
      event.type === "m.room.topic"
        ? { topic: str(content["topic"]) ?? "" }
        : { name: str(content["name"]) ?? "" };
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (!handleRoomChange || as === null || as.kind !== "puppet") return;
    await this.deliver(link, sender, event.type, receivedAt, () =>
      handleRoomChange.call(this.deps.network, {
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        ...change,
      }),
    );
  }

  /** Power levels a Matrix user gave remote users: the network changes their standing, as the user's puppet. */
  async powerLevels(
    link: RoomLink,
    sender: UserId,
    changes: { user: RemoteUserId; level: number }[],
    receivedAt: number,
  ): Promise<void> {
    const { handlePowerLevels } = this.deps.network;
    if (!handlePowerLevels) return;
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (as === null || as.kind !== "puppet") return;
    await this.deliver(link, sender, "m.room.power_levels", receivedAt, () =>
      handlePowerLevels.call(this.deps.network, {
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        changes,
      }),
    );
  }

  /** A Matrix user kicked or banned a ghost: the network removes the remote user, if the user's puppet may. */
  async kick(link: RoomLink, sender: UserId, target: RemoteUserId, reason: string | undefined, ban: boolean) {
    const { handleKick } = this.deps.network;
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (!handleKick || as === null || as.kind !== "puppet") return;
    await this.deliver(link, sender, ban ? "ban" : "kick", Date.now(), () =>
      handleKick.call(this.deps.network, {
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        target,
        ban,
        ...(reason !== undefined && { reason }),
      }),
    );
  }

  async reaction(link: RoomLink, sender: UserId, event: MatrixEventJson, receivedAt: number): Promise<void> {
    const reaction = reactionOf(obj(event["content"]));
    if (reaction === undefined) return;
    const remoteTarget = await this.remoteIdOf(link, reaction.target);
    const as = await this.deps.puppets.sendAs(sender, link, () =>
      this.deps.displayNameOf(link.roomId, sender),
    );
    if (remoteTarget === undefined || as === null) return;
    const { sendReaction } = this.deps.network;
    await this.deliver(link, sender, "m.reaction", receivedAt, async () => {
      if (this.caps.reactions && sendReaction && as.kind === "puppet") {
        const base = { roomId: link.roomId, remoteRoomId: link.remoteRoomId, sender, as };
        const result = await sendReaction.call(this.deps.network, {
          ...base,
          target: remoteTarget,
          key: reaction.key,
        });
        await this.mapped(link, str(event["event_id"]), result.remoteMessageId);
        return;
      }
      const name = as.kind === "relay" ? as.displayName : await this.deps.displayNameOf(link.roomId, sender);
      const quote = (await this.quote(link, reaction.target)).trim();
      await this.deps.network.sendMessage({
        roomId: link.roomId,
        remoteRoomId: link.remoteRoomId,
        sender,
        as,
        msgtype: "m.text",
        // The key is free text: on one line, or it could start a line of its own.
        body: `${name} reacted with ${singleLine(reaction.key)}${quote ? ` to ${quote}` : ""}`,
      });
    });
  }
}
