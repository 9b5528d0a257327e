// One id per message for the core: the id the room stamped on it (XEP-0359 stanza-id), which every occupant and the
// history replay see alike, so a message replayed on a later join is recognised as already bridged. Corrections name
// the original by the sender's own id instead, so both are kept, in both directions, in the plugin's storage.

import { randomUUID } from "node:crypto";
import { type RemoteMessageId, remoteMessageId } from "bridge-core";

/**
 * Storage keys as JSON arrays: nicks and ids come from the network and may hold spaces, so keys joined with spaces
 * could be made to collide (nick "a" naming id "b c" would reach nick "a b"'s message "c").
 */
const senderIdKey = (conversation: string, sender: string, senderId: string): string =>
  JSON.stringify(["sender-id", conversation, sender, senderId]);
const canonicalKey = (conversation: string, canonical: string): string =>
  JSON.stringify(["canonical", conversation, canonical]);

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export class MessageIds {
  private readonly storage: Storage;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /**
   * The core's id for a message: the room's stanza-id when there is one, else the sender's id, else (XMPP does not
   * require either: a server without an archive, a client that sets no id) a new one of its own — such a message can
   * be told from no other, but it is never dropped or taken for another.
   */
  canonical(message: { stanzaId?: string; id?: string }, sender: string): RemoteMessageId {
    return remoteMessageId(message.stanzaId ?? message.id ?? `${sender} ${randomUUID()}`);
  }

  /**
   * Remembers that `senderId`, `sender`'s own id in `conversation`, is the message the core knows as `canonical`.
   * Keyed by sender too: anyone can name any id in a correction, and must reach only their own messages with it.
   */
  async remember(
    conversation: string,
    sender: string,
    senderId: string,
    canonical: RemoteMessageId,
  ): Promise<void> {
    if (senderId === canonical) return;
    await this.storage.put(senderIdKey(conversation, sender, senderId), canonical);
    await this.storage.put(canonicalKey(conversation, canonical), senderId);
  }

  /** A correction's or retraction's target (`sender`'s own id, or already the room's) as the core's id. */
  async fromSenderId(conversation: string, sender: string, senderId: string): Promise<RemoteMessageId> {
    const stored = await this.storage.get(senderIdKey(conversation, sender, senderId));
    return remoteMessageId(typeof stored === "string" ? stored : senderId);
  }

  /** The sender's own id of a message the core knows as `canonical` (what a correction must name). */
  async senderIdOf(conversation: string, canonical: RemoteMessageId): Promise<string> {
    const stored = await this.storage.get(canonicalKey(conversation, canonical));
    return typeof stored === "string" ? stored : canonical;
  }
}
