// The bridge's XEP-0114 component connection: one stream to the XMPP server that carries everything for the
// component's domain, the bot's and every puppet's stanzas alike. xmpp.js reconnects by itself after a loss; each
// time the stream is up again, `online` listeners run (to rejoin the MUCs, which forget a component that went away).

import { type Component, component } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import type { Logger } from "bridge-core";
import { decodeWholeCharacters } from "./whole-characters.ts";

export class ComponentConnection {
  readonly domain: string;
  private readonly xmpp: Component;
  private readonly onlineListeners: (() => void)[] = [];
  private stopped = false;

  constructor(options: { host: string; port: number; domain: string; secret: string; logger: Logger }) {
    this.domain = options.domain;
    this.xmpp = component({
      service: `xmpp://${options.host}:${options.port}`,
      domain: options.domain,
      password: options.secret,
    });
    decodeWholeCharacters(this.xmpp);
    const { logger } = options;
    let wasOnline = false;
    this.xmpp.on("error", (err) => logger.warn("XMPP component connection error", { err: err.message }));
    this.xmpp.on("offline", () => {
      if (!this.stopped) logger.warn("lost the XMPP component connection; reconnecting");
    });
    this.xmpp.on("online", () => {
      if (wasOnline) logger.info("XMPP component connection is back");
      wasOnline = true;
      for (const listener of this.onlineListeners) listener();
    });
  }

  /** Connects and authenticates; rejects when the server refuses the component (wrong secret or domain). */
  async start(): Promise<void> {
    await this.xmpp.start();
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

  /** Sends an iq and resolves with the answer; rejects with the stanza error (or a timeout). */
  request(iq: Element, timeoutMs: number): Promise<Element> {
    return this.xmpp.iqCaller.request(iq, timeoutMs);
  }
}
