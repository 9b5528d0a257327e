// Every Matrix user has a JID on the bridge's component domain without an account: the user id (without its `@`)
// XEP-0106-escaped into the local part, `@alice:example.org` → `alice\3aexample.org@matrix.example.org`.

import { isUserId, type UserId } from "bridge-core";
import { escapeLocal, type Jid, unescapeLocal } from "./jid.ts";

/** The resource every puppet's stanzas come from. */
export const PUPPET_RESOURCE = "matrix";

export class PuppetJids {
  /** Null with a relay account: Matrix users then have no JIDs of their own. */
  readonly domain: string | null;

  constructor(domain: string | null) {
    this.domain = domain;
  }

  /**
   * The bare JID of `userId`'s puppet; null for a user id with upper-case letters (allowed in old Matrix ids), which
   * XMPP servers fold to lower case and so could not be told apart from another user's.
   */
  bareOf(userId: UserId): string | null {
    const local = userId.slice(1);
    if (this.domain === null || local !== local.toLowerCase()) return null;
    return `${escapeLocal(local)}@${this.domain}`;
  }

  /** The Matrix user a JID on the component's domain stands for, or null. */
  userOf(jid: Jid): UserId | null {
    if (this.domain === null || jid.domain !== this.domain || jid.local === "") return null;
    const unescaped = unescapeLocal(jid.local);
    const userId = unescaped === null ? null : `@${unescaped}`;
    return userId !== null && isUserId(userId) ? userId : null;
  }
}
