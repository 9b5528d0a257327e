// The relay account, for servers whose admin cannot add a component: the bridge logs in as one ordinary account
// (@xmpp/client), sits in every bridged MUC under its nick as the bot, and relays Matrix users as "Name: text" (the
// core's relay mode). Matrix users then have no JIDs of their own, unless they log in with their own accounts.

import { type Client, client } from "@xmpp/client";
import type { Logger } from "bridge-core";
import { bareJid, parseJid } from "./jid.ts";
import { XmppStream } from "./xmpp-stream.ts";

/** The resource the relay account binds, so that the bot's full JID is known before it connects. */
export const RELAY_RESOURCE = "bridge";

export class RelayConnection extends XmppStream<Client> {
  readonly domain: string;
  readonly fullJid: string;
  private readonly timeoutMs: number;

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
    super(
      client({
        service: options.service ?? `xmpp://${jid.domain}`,
        domain: jid.domain,
        username: jid.local,
        password: options.password,
        resource: RELAY_RESOURCE,
      }),
      options.logger,
      "XMPP relay account",
    );
    this.domain = jid.domain;
    this.fullJid = `${bareJid(jid)}/${RELAY_RESOURCE}`;
    this.timeoutMs = options.timeoutMs;
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
}
