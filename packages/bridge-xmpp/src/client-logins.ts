// Matrix users who log in with their own XMPP account (`login user@example.org password`): each gets an
// @xmpp/client connection, and their messages, joins and DMs go through it as themselves instead of a puppet JID on
// the component. What their account receives is handed to the same inbound handling as the component's stanzas.

import { type Client, client } from "@xmpp/client";
import { type Element, xml } from "@xmpp/xml";
import { type Logger, type PuppetLogin, remoteUserId, type UserId } from "bridge-core";
import { bareJid, parseJid } from "./jid.ts";
import type { AccountLink } from "./transport.ts";
import { decodeWholeCharacters } from "./whole-characters.ts";

export interface ClientSession {
  jid: string;
  password: string;
}

/** Reads a stored session back; null for one this plugin did not write. */
export function sessionOf(login: PuppetLogin): ClientSession | null {
  const { jid, password } = login.session;
  return typeof jid === "string" && typeof password === "string" ? { jid, password } : null;
}

interface Account extends AccountLink {
  userId: UserId;
  bare: string;
  full: string;
  client: Client;
}

export class ClientLogins {
  private readonly accounts = new Map<UserId, Account>();
  private readonly options: {
    /** `xmpp://host:port` to connect to instead of the address the account's domain publishes. */
    service?: string;
    resource: string;
    timeoutMs: number;
    logger: Logger;
    onStanza: (stanza: Element) => void;
    /** The account's stream came back: the rooms forgot it. */
    onReconnect: (fullJid: string) => void;
    /** The account's connection changed state: up, lost (and being retried), or logged out. */
    onState?: (
      userId: UserId,
      state: "CONNECTED" | "TRANSIENT_DISCONNECT" | "LOGGED_OUT",
      reason?: string,
    ) => void;
  };

  constructor(options: ClientLogins["options"]) {
    this.options = options;
  }

  /** Logs `userId` in; rejects with a message for the user when the server refuses. */
  async login(userId: UserId, session: ClientSession): Promise<PuppetLogin> {
    const jid = parseJid(session.jid);
    if (jid === null || jid.local === "")
      throw new Error(`${session.jid} is not an XMPP address (user@example.org)`);
    await this.logout(userId);
    const xmpp = client({
      service: this.options.service ?? `xmpp://${jid.domain}`,
      domain: jid.domain,
      username: jid.local,
      password: session.password,
      resource: this.options.resource,
    });
    decodeWholeCharacters(xmpp);
    xmpp.on("error", (err) =>
      this.options.logger.warn("XMPP account connection error", { userId, err: err.message }),
    );
    let full: string;
    try {
      // A refused login shows as an error event, while start() itself would wait for a reconnect that never helps.
      const refused = new Promise<never>((_, reject) => xmpp.on("error", reject));
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no answer from the server")), this.options.timeoutMs).unref(),
      );
      full = (await Promise.race([xmpp.start(), refused, timeout])).toString();
    } catch (err) {
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => {});
      const reason =
        (err as { condition?: string }).condition ?? (err instanceof Error ? err.message : String(err));
      throw new Error(`could not log in as ${bareJid(jid)}: ${reason}`);
    }
    const account: Account = {
      userId,
      bare: bareJid(jid),
      full,
      client: xmpp,
      send: (stanza) => xmpp.send(stanza),
      request: (iq, timeoutMs) => xmpp.iqCaller.request(iq, timeoutMs),
    };
    let first = true;
    xmpp.on("online", () => {
      this.options.onState?.(userId, "CONNECTED");
      if (first) first = false;
      else this.options.onReconnect(account.full);
    });
    // The socket went away with a reconnect to follow ("offline" comes only after a deliberate stop).
    xmpp.on("disconnect", () => {
      if (this.accounts.get(userId) === account)
        this.options.onState?.(
          userId,
          "TRANSIENT_DISCONNECT",
          "lost the connection to the XMPP server; reconnecting",
        );
    });
    xmpp.on("stanza", (stanza) => this.options.onStanza(stanza));
    this.accounts.set(userId, account);
    this.options.onState?.(userId, "CONNECTED");
    // Available, so that the server delivers messages to this resource.
    await xmpp.send(xml("presence"));
    return {
      remoteUserId: remoteUserId(account.bare),
      session: { jid: account.bare, password: session.password },
    };
  }

  async logout(userId: UserId): Promise<void> {
    const account = this.accounts.get(userId);
    if (account === undefined) return;
    this.accounts.delete(userId);
    this.options.onState?.(userId, "LOGGED_OUT");
    account.client.reconnect.stop();
    await account.client.stop().catch(() => {});
  }

  async logoutAll(): Promise<void> {
    for (const userId of [...this.accounts.keys()]) await this.logout(userId);
  }

  /** The full JID a logged-in user's stanzas come from. */
  fullJidOf(userId: UserId): string | undefined {
    return this.accounts.get(userId)?.full;
  }

  /** The connection of the account with this full JID. */
  byFullJid(full: string): AccountLink | undefined {
    for (const account of this.accounts.values()) if (account.full === full) return account;
    return undefined;
  }

  /** The Matrix user logged in as this bare JID. */
  userOf(bare: string): UserId | undefined {
    for (const account of this.accounts.values()) if (account.bare === bare) return account.userId;
    return undefined;
  }

  get count(): number {
    return this.accounts.size;
  }
}
