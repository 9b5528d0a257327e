// Where a Matrix user's presence shows on XMPP: in every MUC their JID is in, and to the contacts it has chatted
// with. A puppet JID on the component has no roster on the server, so the bridge keeps the contacts itself; a user's
// own account broadcasts to its roster as any client does.

import type { MatrixPresence } from "bridge-core";
import { bareJid } from "./jid.ts";
import type { MucRooms } from "./muc-rooms.ts";
import { presenceStanza } from "./presence.ts";
import type { Transport } from "./transport.ts";

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

export class PuppetPresence {
  private readonly deps: {
    transport: Pick<Transport, "send">;
    rooms: Pick<MucRooms, "roomsOf">;
    storage: Storage;
    /** The full JID of a Matrix user's own logged-in account, when they have one. */
    accountJid: (userId: MatrixPresence["sender"]) => string | undefined;
    puppetResource: string;
  };
  /** `local bare JID` → its contacts, as stored. */
  private readonly contacts = new Map<string, Set<string>>();

  constructor(deps: PuppetPresence["deps"]) {
    this.deps = deps;
  }

  private async contactsOf(local: string): Promise<Set<string>> {
    let known = this.contacts.get(local);
    if (known === undefined) {
      const stored = await this.deps.storage.get(`contacts ${local}`);
      known = new Set(Array.isArray(stored) ? stored.filter((c) => typeof c === "string") : []);
      this.contacts.set(local, known);
    }
    return known;
  }

  /** `local` (a Matrix user's bare JID) and `contact` (bare) chatted 1:1: the contact sees `local`'s presence. */
  async noteContact(local: string, contact: string): Promise<void> {
    const known = await this.contactsOf(local);
    if (known.has(contact)) return;
    known.add(contact);
    await this.deps.storage.put(`contacts ${local}`, [...known]);
  }

  async send(presence: MatrixPresence): Promise<void> {
    const account = this.deps.accountJid(presence.sender);
    const from = account ?? `${presence.remoteUserId}/${this.deps.puppetResource}`;
    const info = {
      state: presence.state,
      ...(presence.statusMsg !== undefined && { statusMsg: presence.statusMsg }),
    };
    for (const { room, nick } of this.deps.rooms.roomsOf(from))
      await this.deps.transport.send(
        presenceStanza({ from, to: `${bareJid(room)}/${nick}`, inRoom: true, ...info }),
      );
    if (account !== undefined) {
      await this.deps.transport.send(presenceStanza({ from, inRoom: false, ...info }));
      return;
    }
    for (const contact of await this.contactsOf(presence.remoteUserId))
      await this.deps.transport.send(presenceStanza({ from, to: contact, inRoom: false, ...info }));
  }
}
