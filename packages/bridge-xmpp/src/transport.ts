// Where a stanza goes out: everything from the component's domain (the bot, the puppets) on the component stream;
// everything from a Matrix user's own XMPP account on that account's client connection. The rest of the plugin only
// names the sender (`from`) and never needs to know which.

import type { Element } from "@xmpp/xml";
import type { ComponentConnection } from "./component-connection.ts";
import { parseJid } from "./jid.ts";

/** A logged-in account's connection, as far as sending goes. */
export interface AccountLink {
  send(stanza: Element): Promise<void>;
  request(iq: Element, timeoutMs: number): Promise<Element>;
}

export class Transport {
  private readonly component: ComponentConnection;
  private readonly accountOf: (fullJid: string) => AccountLink | undefined;

  constructor(component: ComponentConnection, accountOf: (fullJid: string) => AccountLink | undefined) {
    this.component = component;
    this.accountOf = accountOf;
  }

  private linkFor(stanza: Element): AccountLink {
    const from = stanza.attrs["from"] ?? "";
    if (parseJid(from)?.domain === this.component.domain) return this.component;
    const account = this.accountOf(from);
    if (account === undefined) throw new Error(`no connection for ${from}`);
    return account;
  }

  send(stanza: Element): Promise<void> {
    return this.linkFor(stanza).send(stanza);
  }

  request(iq: Element, timeoutMs: number): Promise<Element> {
    return this.linkFor(iq).request(iq, timeoutMs);
  }
}
