// The bridge's XEP-0114 component connection: one stream to the XMPP server that carries everything for the
// component's domain, the bot's and every puppet's stanzas alike. xmpp.js reconnects by itself after a loss; each
// time the stream is up again, `online` listeners run (to rejoin the MUCs, which forget a component that went away).

import { type Component, component } from "@xmpp/component";
import type { Logger } from "bridge-core";
import { XmppStream } from "./xmpp-stream.ts";

export class ComponentConnection extends XmppStream<Component> {
  readonly domain: string;

  constructor(options: { host: string; port: number; domain: string; secret: string; logger: Logger }) {
    super(
      component({
        service: `xmpp://${options.host}:${options.port}`,
        domain: options.domain,
        password: options.secret,
      }),
      options.logger,
      "XMPP component",
    );
    this.domain = options.domain;
  }

  /** Connects and authenticates; rejects when the server refuses the component (wrong secret or domain). */
  async start(): Promise<void> {
    await this.xmpp.start();
  }
}
