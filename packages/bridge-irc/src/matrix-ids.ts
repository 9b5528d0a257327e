// The Matrix ids the core makes for IRC things, read and written the way the core does (its templates module is not
// part of its public API, so its rules are repeated here): a ghost's localpart is the template with the lower-case
// nick escaped into the localpart alphabet (uppercase → `_x`, `_` → `__`, any other byte → `=hh`), and a portal's
// alias is the template with the channel name, where only `:`, `=` and bytes outside printable ASCII are `=hh`.

import { localpartOf, type UserId } from "bridge-core";

const PLACEHOLDER = "{id}";
const KEPT_IN_LOCALPART = /[a-z0-9.\-/+]/;
const KEPT_IN_ALIAS = /[\x21-\x39\x3b\x3c\x3e-\x7e]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function escapeLocalpart(id: string): string {
  let out = "";
  for (const byte of encoder.encode(id)) {
    const ch = String.fromCharCode(byte);
    if (KEPT_IN_LOCALPART.test(ch)) out += ch;
    else if (ch >= "A" && ch <= "Z") out += `_${ch.toLowerCase()}`;
    else if (ch === "_") out += "__";
    else out += `=${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The inverse of escapeLocalpart, or null for a spelling it never produces (so one nick has one ghost). */
export function unescapeLocalpart(s: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const ch = s[i]!;
    if (KEPT_IN_LOCALPART.test(ch)) {
      bytes.push(ch.charCodeAt(0));
      i += 1;
    } else if (ch === "_") {
      const next = s[i + 1] ?? "";
      if (next === "_") bytes.push(0x5f);
      else if (next >= "a" && next <= "z") bytes.push(next.toUpperCase().charCodeAt(0));
      else return null;
      i += 2;
    } else if (ch === "=") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      return null;
    }
  }
  let id: string;
  try {
    id = decoder.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
  return escapeLocalpart(id) === s ? id : null;
}

function splitTemplate(template: string): [prefix: string, suffix: string] {
  const at = template.indexOf(PLACEHOLDER);
  if (at === -1) throw new Error(`template ${JSON.stringify(template)} has no ${PLACEHOLDER}`);
  return [template.slice(0, at), template.slice(at + PLACEHOLDER.length)];
}

/** The remote user id (lower-case nick) a ghost's user id stands for, or null when it is not a ghost's. */
export function remoteIdOfGhost(template: string, userId: string): string | null {
  if (!/^@[^:]+:.+$/.test(userId)) return null;
  const [prefix, suffix] = splitTemplate(template);
  const localpart = localpartOf(userId as UserId);
  if (localpart.length <= prefix.length + suffix.length) return null;
  if (!localpart.startsWith(prefix) || !localpart.endsWith(suffix)) return null;
  return unescapeLocalpart(localpart.slice(prefix.length, localpart.length - suffix.length));
}

function escapeAliasPart(id: string): string {
  let out = "";
  for (const ch of id) {
    if (KEPT_IN_ALIAS.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += `=${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** The portal alias of a channel: `#irc_#lobby:example.org`. */
export function portalAlias(template: string, channel: string, domain: string): string {
  const [prefix, suffix] = splitTemplate(template);
  return `#${prefix}${escapeAliasPart(channel)}${suffix}:${domain}`;
}
