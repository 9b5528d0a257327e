// Matrix → remote: messages, edits, redactions and reactions of Matrix users in bridged rooms, handed to the network
// door (network-door.ts) in the neutral form (outgoing-parts.ts), as each user's puppet or through the relay, with
// readable fallbacks where the plugin lacks a method. Every event that went out is mapped to its remote id, so later
// edits, replies, reactions and redactions find it.

import { type EventId, isEventId, type RemoteMessageId, type RoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { MatrixMessage, SendAs } from "../network.ts";
import type { RichText } from "../rich-text.ts";
import type { BridgeStore, MatrixEventJson, RoomLink } from "../store/store.ts";
import { isAuthor, mayRedact } from "./authorship.ts";
import {
  editOf,
  type Json,
  obj,
  reactionOf,
  redactionTarget,
  replyTarget,
  str,
  threadRoot,
} from "./matrix-content.ts";
import type { Errand, NetworkDoor } from "./network-door.ts";
import type { OutgoingParts } from "./outgoing-parts.ts";
import { singleLine } from "./relay-text.ts";

export interface MatrixToRemoteDeps {
  store: BridgeStore;
  intents: IntentFactory;
  door: NetworkDoor;
  parts: OutgoingParts;
  networkName: string;
  /** Tells a room something as the bot. */
  tell: (roomId: RoomId, text: string) => Promise<void>;
  logger: Logger;
}

export class MatrixToRemote {
  private readonly deps: MatrixToRemoteDeps;

  constructor(deps: MatrixToRemoteDeps) {
    this.deps = deps;
  }

  /** Who the event goes out as; tells the sender why when it cannot go out at all. */
  private async sendAs(link: RoomLink, sender: UserId, emote = false): Promise<SendAs | null> {
    const as = await this.deps.parts.sendAs(link, sender, emote);
    if (as === null) {
      await this.deps.tell(
        link.roomId,
        `${sender}: your message was not sent to ${this.deps.networkName}: you are not logged in, and this room does not relay messages. Send "login" to me in a DM, or ask a moderator for "!relay on".`,
      );
    }
    return as;
  }

  /** An edit or redaction the sender had no right to: not bridged, and they are told why. */
  private async refused(link: RoomLink, sender: UserId, what: string, why: string): Promise<void> {
    this.deps.logger.info(`${what} of someone else's message not bridged`, { roomId: link.roomId, sender });
    await this.deps.tell(
      link.roomId,
      `${sender}: your ${what} was not sent to ${this.deps.networkName}: ${why}.`,
    );
  }

  /**
   * Records what the network answered. With `writes` (the handling's, see HandlingOutcome) the mapping is handed on
   * instead of waited for: the inbox entry's completion joins it in the same store write, so an event costs one
   * write to wait for, not two, and its room goes on only once both are on disk (inbox-dispatch.ts).
   */
  private async mapped(
    link: RoomLink,
    eventId: unknown,
    remoteId: RemoteMessageId | undefined,
    writes: Promise<void>[] | undefined,
  ) {
    if (!isEventId(eventId) || remoteId === undefined) return;
    const written = this.deps.store.putEventLink({
      roomId: link.roomId,
      eventId,
      remoteRoomId: link.remoteRoomId,
      remoteMessageId: remoteId,
    });
    if (writes === undefined) return written;
    // Waited for with the completion; this only keeps a failure from counting as unhandled meanwhile.
    written.catch(() => undefined);
    writes.push(written);
  }

  async message(
    link: RoomLink,
    sender: UserId,
    event: MatrixEventJson,
    receivedAt: number,
    resumed = false,
    writes?: Promise<void>[],
  ): Promise<void> {
    const content = obj(event["content"]);
    const edit = editOf(content);
    if (edit) return this.edit(link, sender, edit.target, edit.newContent, event, receivedAt, writes);
    const msgtype = str(content["msgtype"]);
    if (msgtype === undefined || str(content["body"]) === undefined) return;
    // Resumed after a crash between delivering and marking the event handled: it went out already. Only a room's
    // first resumed event can be in that state (see InboxEntry.resumed), so no other pays for the lookup.
    const eventId = event["event_id"];
    if (resumed && isEventId(eventId) && (await this.deps.store.getEventLinkByMatrix(link.roomId, eventId)))
      return;
    const { parts } = this.deps;
    const kind = parts.kind(msgtype);
    const as = await this.sendAs(link, sender, kind === "emote");
    if (as === null) return;
    const replyTo = replyTarget(content);
    const reply = replyTo === undefined ? undefined : await parts.reply(link, replyTo);
    const root = threadRoot(content);
    // A thread whose first message never reached the network has nowhere to go there: the message goes to the room.
    const remoteRoot = root === undefined ? undefined : await parts.remoteIdOf(link, root);
    const media = parts.media(msgtype, content);
    const message: MatrixMessage = {
      ...(await parts.side(link, sender, as)),
      ...(isEventId(eventId) && { eventId }),
      kind,
      text: await parts.text(link.roomId, content),
      ...(reply !== undefined && { reply }),
      ...(remoteRoot !== undefined && { thread: { root: remoteRoot } }),
      ...(media !== undefined && { media }),
    };
    const errand = { roomId: link.roomId, sender, type: msgtype, what: "message", receivedAt, resumed };
    await this.deps.door.sendMessage(errand, message, (result) =>
      this.mapped(link, eventId, result.remoteMessageId, writes),
    );
  }

  private async edit(
    link: RoomLink,
    sender: UserId,
    target: EventId,
    newContent: Json,
    event: MatrixEventJson,
    receivedAt: number,
    writes: Promise<void>[] | undefined,
  ): Promise<void> {
    if (str(newContent["body"]) === undefined) return;
    // Homeservers let anyone send an edit of any message; only its author's goes on (see authorship.ts).
    if (!(await isAuthor(this.deps.intents, link.roomId, target, sender))) {
      await this.refused(link, sender, "edit", "only its author can edit a message");
      return;
    }
    const { parts, door } = this.deps;
    const kind = parts.kind(str(newContent["msgtype"]) ?? "m.text");
    const as = await this.sendAs(link, sender, kind === "emote");
    if (as === null) return;
    const remoteTarget = await parts.remoteIdOf(link, target);
    const side = await parts.side(link, sender, as);
    const text = await parts.text(link.roomId, newContent);
    const errand: Errand = { roomId: link.roomId, sender, type: "m.replace", what: "edit", receivedAt };
    if (door.has("sendEdit") && remoteTarget !== undefined) {
      await door.sendEdit(errand, { ...side, target: remoteTarget, kind, text });
      return;
    }
    // Without edits the correction goes out as a new message, marked the way chat users mark corrections.
    const correction: RichText = [{ type: "text", text: "* " }, ...text];
    await door.sendMessage(errand, { ...side, kind, text: correction }, (result) =>
      this.mapped(link, event["event_id"], result.remoteMessageId, writes),
    );
  }

  async redaction(link: RoomLink, sender: UserId, event: MatrixEventJson, receivedAt: number): Promise<void> {
    const target = redactionTarget(event);
    const { parts, door } = this.deps;
    if (target === undefined || !door.has("sendRedaction")) return;
    const remoteTarget = await parts.remoteIdOf(link, target);
    if (remoteTarget === undefined) return;
    // A stored redaction is not an applied one: the homeserver keeps those of users without the power too.
    if (!(await mayRedact(this.deps.intents, link.roomId, target, sender))) {
      await this.refused(link, sender, "redaction", "only its author or a moderator can remove a message");
      return;
    }
    const as = await parts.sendAs(link, sender);
    if (as === null) return;
    const reason = str(obj(event["content"])["reason"]);
    const errand = { roomId: link.roomId, sender, type: "m.room.redaction", what: "removal", receivedAt };
    await door.sendRedaction(errand, {
      ...(await parts.side(link, sender, as)),
      target: remoteTarget,
      ...(reason !== undefined && { reason }),
    });
  }

  /**
   * A reaction goes out as the user's puppet's reaction; without the plugin's sendReaction, or for a relayed user,
   * as a message saying who reacted with what to which message (a relayed one as an emote: "* name reacted …").
   */
  async reaction(
    link: RoomLink,
    sender: UserId,
    event: MatrixEventJson,
    receivedAt: number,
    writes?: Promise<void>[],
  ): Promise<void> {
    const reaction = reactionOf(obj(event["content"]));
    if (reaction === undefined) return;
    const { parts, door } = this.deps;
    const remoteTarget = await parts.remoteIdOf(link, reaction.target);
    if (remoteTarget === undefined) return;
    // Relay marks as for an emote: a relayed reaction always goes out as "* name reacted …".
    const as = await parts.sendAs(link, sender, true);
    if (as === null) return;
    const side = await parts.side(link, sender, as);
    const errand = { roomId: link.roomId, sender, type: "m.reaction", what: "reaction", receivedAt };
    if (as.kind === "puppet" && door.has("sendReaction")) {
      await door.sendReaction(errand, { ...side, target: remoteTarget, key: reaction.key }, (result) =>
        this.mapped(link, event["event_id"], result.remoteMessageId, writes),
      );
      return;
    }
    const quoted = await parts.quoted(link.roomId, reaction.target);
    // The key is free text: on one line, or it could start a line of its own.
    const what = `reacted with ${singleLine(reaction.key)}${quoted ? ` to > <${quoted.author}> ${quoted.text}` : ""}`;
    const text = as.kind === "relay" ? what : `${side.senderName} ${what}`;
    await door.sendMessage(
      errand,
      { ...side, kind: as.kind === "relay" ? "emote" : "text", text: [{ type: "text", text }] },
      async () => undefined,
    );
  }
}
