// The Matrix ids the core makes for IRC things: a ghost's localpart is the ghost template with the lower-case nick
// escaped into the localpart alphabet (read back with the core's own template helpers), and a portal's alias is the
// alias template with the channel name, where only `:`, `=` and bytes outside printable ASCII are written `=hh`
// (the core's own escaping, imported).

import { escapeAliasPart, localpartOf, matchTemplate, type UserId } from "bridge-core";

const PLACEHOLDER = "{id}";

/** The remote user id (lower-case nick) a ghost's user id stands for, or null when it is not a ghost's. */
export function remoteIdOfGhost(template: string, userId: string): string | null {
  if (!/^@[^:]+:.+$/.test(userId)) return null;
  return matchTemplate(template, localpartOf(userId as UserId));
}

/** The portal alias of a channel: `#irc_#lobby:example.org`. */
export function portalAlias(template: string, channel: string, domain: string): string {
  const at = template.indexOf(PLACEHOLDER);
  if (at === -1) throw new Error(`template ${JSON.stringify(template)} has no ${PLACEHOLDER}`);
  const prefix = template.slice(0, at);
  const suffix = template.slice(at + PLACEHOLDER.length);
  return `#${prefix}${escapeAliasPart(channel)}${suffix}:${domain}`;
}
