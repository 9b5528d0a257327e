// Small things the IRC suites ask of a server: who a nick is, and how two servers link.

import type { IrcTestClient } from "./irc-client.ts";
import type { EventPayload } from "./irc-framework.ts";

/** The WHOIS answer for `nick`, as an IRC user on the network sees it. */
export function whois(client: IrcTestClient, nick: string): Promise<EventPayload> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no WHOIS answer for ${nick}`)), 10_000);
    client.client.on("whois", (event) => {
      if (!client.client.caseCompare(String(event["nick"]), nick)) return;
      clearTimeout(timer);
      resolve(event);
    });
    client.raw(`WHOIS ${nick}`);
  });
}

/** A server link between the bridge's server and a second one, both ways, on loopback. */
export function linkBlock(name: string, port: number, password: string): string {
  return `<link name="${name}" ipaddr="127.0.0.1" port="${port}" allowmask="127.0.0.1/32" timeout="30" sendpass="${password}" recvpass="${password}">`;
}
