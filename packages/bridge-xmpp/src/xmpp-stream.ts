// What the component connection and the relay account have in common: one xmpp.js stream that reconnects by itself
// after a loss, logged as it goes and comes back, with listeners that run each time it is back (to rejoin the MUCs,
// which forget an entity that went away).

import type { Element } from "@xmpp/xml";
import type { Logger } from "bridge-core";
import { decodeWholeCharacters } from "./whole-characters.ts";

/** The part of xmpp.js's component and client entities this uses. */
export interface StreamEntity {
  stop(): Promise<void>;
  send(element: Element): Promise<void>;
  on(event: "stanza", listener: (stanza: Element) => void): void;
  on(event: "online", listener: () => void): void;
  on(event: "disconnect", listener: () => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  readonly reconnect: { stop(): void };
  readonly iqCaller: { request(element: Element, timeoutMs?: number): Promise<Element> };
}

export abstract class XmppStream<E extends StreamEntity> {
  protected readonly xmpp: E;
  protected stopped = false;
  private readonly onlineListeners: (() => void)[] = [];
  private readonly stateListeners: ((up: boolean, reason?: string) => void)[] = [];

  /** `what` names the stream in the log ("XMPP component"). */
  protected constructor(xmpp: E, logger: Logger, what: string) {
    this.xmpp = xmpp;
    decodeWholeCharacters(xmpp);
    let wasOnline = false;
    xmpp.on("error", (err) => logger.warn(`${what} connection error`, { err: err.message }));
    // "disconnect" is the socket going away (the server stopped, the network dropped) with a reconnect to follow;
    // "offline" comes only after a deliberate stop, so it would never report an outage.
    xmpp.on("disconnect", () => {
      if (this.stopped) return;
      logger.warn(`lost the ${what} connection; reconnecting`);
      for (const listener of this.stateListeners)
        listener(false, `lost the ${what} connection; reconnecting`);
    });
    xmpp.on("online", () => {
      if (wasOnline) logger.info(`${what} connection is back`);
      wasOnline = true;
      for (const listener of this.stateListeners) listener(true);
      for (const listener of this.onlineListeners) listener();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.xmpp.reconnect.stop();
    await this.xmpp.stop().catch(() => {});
  }

  /** Runs `listener` whenever the stream goes (false, why) or is up (true), the first start included. */
  onStateChange(listener: (up: boolean, reason?: string) => void): void {
    this.stateListeners.push(listener);
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
