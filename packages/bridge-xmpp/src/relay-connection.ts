// The relay account, for servers whose admin cannot add a component: the bridge logs in as one ordinary account
// (@xmpp/client), sits in every bridged MUC under its nick as the bot, and relays Matrix users as "Name: text" (the
// core's relay mode). Matrix users then have no JIDs of their own, unless they log in with their own accounts.

import { type Client, client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import type { Logger } from "bridge-core";
import { bareJid, parseJid } from "./jid.ts";
import { decodeWholeCharacters } from "./whole-characters.ts";

/** The resource the relay account binds, so that the bot's full JID is known before it connects. */
export const RELAY_RESOURCE = "bridge";

export class RelayConnection {
  readonly domain: string;
  readonly fullJid: string;
  private readonly xmpp: Client;
  private readonly timeoutMs: number;
  private readonly onlineListeners: (() => void)[] = [];
  private stopped = false;

  constructor(options: {
    jid: string;
    password: string;
    service?: string;
    timeoutMs: number;
    logger: Logger;
  }) {
    const jid = parseJid(options.jid);
    if (jid === null || jid.local === "")
      throw new Error(`${options.jid} is not an XMPP account (user@example.org)`);
    this.domain = jid.domain;
    this.fullJid = `${bareJid(jid)}/${RELAY_RESOURCE}`;
    this.timeoutMs = options.timeoutMs;
    this.xmpp = client({
      service: options.service ?? `xmpp://${jid.domain}`,
      domain: jid.domain,
      username: jid.local,
      password: options.password,
      resource: RELAY_RESOURCE,
    });
    decodeWholeCharacters(this.xmpp);
    const { logger } = options;
    let wasOnline = false;
    this.xmpp.on("error", (err) => logger.warn("XMPP relay account connection error", { err: err.message }));
    this.xmpp.on("offline", () => {
      if (!this.stopped) logger.warn("lost the XMPP relay account's connection; reconnecting");
    });
    this.xmpp.on("online", () => {
      if (wasOnline) logger.info("XMPP relay account connection is back");
      wasOnline = true;
      for (const listener of this.onlineListeners) listener();
    });
  }

  /** Logs in; rejects with the server's reason when it refuses, and when it binds another resource than asked. */
  async start(): Promise<void> {
    const refused = new Promise<never>((_, reject) => this.xmpp.on("error", reject));
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("no answer from the server")), this.timeoutMs).unref(),
    );
    try {
      const bound = (await Promise.race([this.xmpp.start(), refused, timeout])).toString();
      if (bound !== this.fullJid) throw new Error(`the server bound ${bound} instead of ${this.fullJid}`);
    } catch (err) {
      await this.stop();
      const reason =
        (err as { condition?: string }).condition ?? (err instanceof Error ? err.message : String(err));
      throw new Error(`the relay account could not log in: ${reason}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.xmpp.reconnect.stop();
    await this.xmpp.stop().catch(() => {});
  }

  /** Runs `listener` every time the stream comes back after a loss (not on the first start). */
  onReconnect(listener: () => void): void {
    let first = true;
    this.onlineListeners.push(() => {
      if (first) first = false;
      else listener();
    });
  }

  onStanza(listener: (stanza: Element) => void): void {
    this.xmpp.on("stanza", listener);
  }

  async send(stanza: Element): Promise<void> {
    await this.xmpp.send(stanza);
  }

  request(iq: Element, timeoutMs: number): Promise<Element> {
    return this.xmpp.iqCaller.request(iq, timeoutMs);
  }
}
