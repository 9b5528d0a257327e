// The neutral parts of what a Matrix user does, as the plugin gets them (network.ts): who it goes out as and under
// what name, the text as rich text with mentions as remote user ids, the file as a link or bytes, the reply as a
// target and a quote. Nothing Matrix-shaped (HTML, mxc URLs, Matrix ids of others) reaches the plugin.

import { fromMatrixHtml, matrixMentions } from "../formatting/matrix-html.ts";
import {
  type EventId,
  isUserId,
  type MxcUri,
  type RemoteMessageId,
  type RemoteUserId,
  type RoomId,
  type UserId,
} from "../ids.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { Intent } from "../matrix/intent.ts";
import type { MatrixMessage, MediaKind, OutgoingMedia, SendAs, TextKind } from "../network.ts";
import { type RichText, richText } from "../rich-text.ts";
import type { BridgeStore, RoomLink } from "../store/store.ts";
import { type Json, mediaOf, obj, str, stripReplyFallback } from "./matrix-content.ts";
import type { Naming } from "./naming.ts";
import type { Puppets } from "./puppets.ts";
import { relayMarks } from "./relay-text.ts";

/** What every call about a Matrix user's action carries (MatrixSide in network.ts). */
export type Side = Pick<
  MatrixMessage,
  "remoteRoomId" | "sender" | "senderName" | "as" | "direct" | "senderAvatar"
>;

/** How long the quoted first line of a replied-to message may be, in code units, before it is cut with "…". */
const QUOTE_LENGTH = 80;

const MEDIA_KINDS: Record<string, MediaKind> = {
  "m.image": "image",
  "m.file": "file",
  "m.audio": "audio",
  "m.video": "video",
};

export interface OutgoingPartsDeps {
  store: BridgeStore;
  bot: Intent;
  client: MatrixClient;
  naming: Naming;
  puppets: Puppets;
  relayTemplate: string;
  /** A Matrix user's display name in a room, sanitised to one line (DisplayNames). */
  displayNameOf: (roomId: RoomId, userId: UserId) => Promise<string>;
  /** A Matrix user's avatar in a room, if they have one (DisplayNames). */
  avatarOf: (roomId: RoomId, userId: UserId) => Promise<MxcUri | undefined>;
  /** A link anyone can open to a Matrix file, through the bridge's media proxy (PublicLinks.link). */
  mediaLink: (mxc: MxcUri, filename: string) => string;
}

export class OutgoingParts {
  private readonly deps: OutgoingPartsDeps;

  constructor(deps: OutgoingPartsDeps) {
    this.deps = deps;
  }

  /** Who `sender`'s action goes out as: their puppet, or the relay marking their lines; null when neither may. */
  sendAs(link: RoomLink, sender: UserId, emote = false): Promise<SendAs | null> {
    return this.deps.puppets.sendAs(sender, link, async () =>
      relayMarks(this.deps.relayTemplate, await this.nameOf(link.roomId, sender), emote),
    );
  }

  async side(link: RoomLink, sender: UserId, as: SendAs): Promise<Side> {
    const avatar = await this.deps.avatarOf(link.roomId, sender);
    return {
      remoteRoomId: link.remoteRoomId,
      sender,
      senderName: as.kind === "relay" ? as.marks.displayName : await this.nameOf(link.roomId, sender),
      as,
      ...(link.peer !== undefined && { direct: link.peer }),
      // The plugin gets a link through the media proxy, never the mxc URI: the network cannot open that.
      ...(avatar !== undefined && { senderAvatar: () => this.deps.mediaLink(avatar, "avatar") }),
    };
  }

  nameOf(roomId: RoomId, userId: UserId): Promise<string> {
    return this.deps.displayNameOf(roomId, userId);
  }

  /**
   * The text of message content as rich text: its HTML when it has some, mentions of ghosts and of Matrix users with
   * a remote identity as those remote ids (others as plain text); else its body. A reply's old quote is left out.
   */
  async text(roomId: RoomId, content: Json): Promise<RichText> {
    const html = content["format"] === "org.matrix.custom.html" ? str(content["formatted_body"]) : undefined;
    const stripped = stripReplyFallback(str(content["body"]) ?? "", html);
    if (stripped.html === undefined) return richText(stripped.body);
    const mentions = new Map<UserId, { user: RemoteUserId; name: string }>();
    for (const userId of matrixMentions(stripped.html)) {
      const user = await this.remoteIdentityOf(userId);
      if (user !== null) mentions.set(userId, { user, name: await this.nameOf(roomId, userId) });
    }
    const rich = fromMatrixHtml(stripped.html, mentions);
    // HTML that shows nothing in words (an image without alt text) still has a body a reader can use.
    return rich.length > 0 ? rich : richText(stripped.body);
  }

  /** A ghost's remote user, or a Matrix user's own remote identity (a login or an automatic one). */
  private async remoteIdentityOf(userId: UserId): Promise<RemoteUserId | null> {
    const ghost = this.deps.naming.remoteUserOf(userId);
    if (ghost !== null) return ghost;
    if (this.deps.naming.isBridgeUser(userId)) return null;
    return this.deps.puppets.identityOf(userId);
  }

  /** The kind of text a msgtype is; files are text (their caption) with media. */
  kind(msgtype: string): TextKind {
    return msgtype === "m.emote" ? "emote" : msgtype === "m.notice" ? "notice" : "text";
  }

  /** The file of a media message, as the plugin takes it: a signed link, or its bytes. */
  media(msgtype: string, content: Json): OutgoingMedia | undefined {
    const kind = MEDIA_KINDS[msgtype];
    const file = kind === undefined ? undefined : mediaOf(content);
    if (kind === undefined || file === undefined) return undefined;
    const { client, mediaLink } = this.deps;
    return {
      kind,
      filename: file.filename,
      ...(file.mimetype !== undefined && { mimetype: file.mimetype }),
      ...(file.size !== undefined && { size: file.size }),
      link: () => mediaLink(file.url, file.filename),
      download: (maxBytes) => client.downloadMedia(file.url, maxBytes === undefined ? {} : { maxBytes }),
    };
  }

  /**
   * What a message answers: its remote id when it was bridged, and who wrote it and its first line, for networks
   * that quote instead. Absent when the original is neither bridged nor readable.
   */
  async reply(link: RoomLink, target: EventId): Promise<MatrixMessage["reply"]> {
    const to = await this.remoteIdOf(link, target);
    const quoted = await this.quoted(link.roomId, target);
    if (quoted === null) return to === undefined ? undefined : { to, author: "", text: "" };
    return { ...(to !== undefined && { to }), ...quoted };
  }

  /** The author's name and first line of a Matrix message, shortened; null when it cannot be read. */
  async quoted(roomId: RoomId, eventId: EventId): Promise<{ author: string; text: string } | null> {
    const original = await this.deps.bot.getEvent(roomId, eventId).catch(() => null);
    const body = str(obj(original?.["content"])["body"]);
    const author = original?.["sender"];
    if (body === undefined || !isUserId(author)) return null;
    const firstLine = stripReplyFallback(body, undefined).body.split("\n")[0] ?? "";
    return {
      author: await this.nameOf(roomId, author),
      text: firstLine.length > QUOTE_LENGTH ? `${firstLine.slice(0, QUOTE_LENGTH)}…` : firstLine,
    };
  }

  async remoteIdOf(link: RoomLink, eventId: EventId): Promise<RemoteMessageId | undefined> {
    return (await this.deps.store.getEventLinkByMatrix(link.roomId, eventId))?.remoteMessageId;
  }
}
