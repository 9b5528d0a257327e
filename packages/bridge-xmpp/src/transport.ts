// Where a stanza goes out: everything from the component's domain (the bot, the puppets) on the component stream;
// everything from a Matrix user's own XMPP account on that account's client connection. The rest of the plugin only
// names the sender (`from`) and never needs to know which.

import type { Element } from "@xmpp/xml";
import { parseJid } from "./jid.ts";

/** A logged-in account's connection, as far as sending goes. */
export interface AccountLink {
  send(stanza: Element): Promise<void>;
  request(iq: Element, timeoutMs: number): Promise<Element>;
}

/** The bridge's own connection: the component, or the relay account where there is none. */
export interface MainLink extends AccountLink {
  readonly domain: string;
}

export class Transport {
  private readonly main: MainLink;
  private readonly accountOf: (fullJid: string) => AccountLink | undefined;

  constructor(main: MainLink, accountOf: (fullJid: string) => AccountLink | undefined) {
    this.main = main;
    this.accountOf = accountOf;
  }

  /** A user's own account first: with a relay account, it may share the relay's domain. */
  private linkFor(stanza: Element): AccountLink {
    const from = stanza.attrs["from"] ?? "";
    const account = this.accountOf(from);
    if (account !== undefined) return account;
    if (parseJid(from)?.domain === this.main.domain) return this.main;
    throw new Error(`no connection for ${from}`);
  }

  send(stanza: Element): Promise<void> {
    return this.linkFor(stanza).send(stanza);
  }

  request(iq: Element, timeoutMs: number): Promise<Element> {
    return this.linkFor(iq).request(iq, timeoutMs);
  }
}
