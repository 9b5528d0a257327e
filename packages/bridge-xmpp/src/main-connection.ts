// Which connection carries the bot: the XEP-0114 component (with a JID for every Matrix user), or, where the server
// has no component for the bridge, the relay account.

import type { Logger } from "bridge-core";
import { ComponentConnection } from "./component-connection.ts";
import type { XmppConfig } from "./config.ts";
import { bareJid, parseJid } from "./jid.ts";
import { RELAY_RESOURCE, RelayConnection } from "./relay-connection.ts";

export type MainConnection = ComponentConnection | RelayConnection;

/** The bot's full JID: on the component's domain, or the relay account with its fixed resource. */
export function botJidOf(config: XmppConfig): string {
  if (config.component !== undefined) return `${config.component.domain}/bridge`;
  const jid = parseJid(config.relay?.jid ?? "");
  if (jid === null) throw new Error("the XMPP settings name neither a component nor a relay account");
  return `${bareJid(jid)}/${RELAY_RESOURCE}`;
}

/** The XMPP server the bridge's services (upload) are looked for on, unless the settings name one. */
export function serverDomainOf(config: XmppConfig): string {
  if (config.upload_domain !== undefined) return config.upload_domain;
  if (config.component === undefined) return parseJid(botJidOf(config))!.domain;
  const { domain } = config.component;
  return domain.slice(domain.indexOf(".") + 1);
}

export function mainConnection(config: XmppConfig, timeoutMs: number, logger: Logger): MainConnection {
  if (config.component !== undefined) return new ComponentConnection({ ...config.component, logger });
  const relay = config.relay!;
  return new RelayConnection({
    jid: relay.jid,
    password: relay.password,
    ...(relay.service !== undefined && { service: relay.service }),
    timeoutMs,
    logger,
  });
}
