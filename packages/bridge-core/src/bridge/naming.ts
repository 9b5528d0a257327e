// How remote ids become Matrix ids and back: ghosts from the ghost template, portal aliases from the alias template.
// Ghost localparts must use the narrow localpart alphabet, so remote user ids are escaped (templates.ts);
// aliases allow almost any printable character, so a remote room id keeps its readable form there (`#irc_#chan`) and
// only `:`, `=`, spaces, controls and non-ASCII are written as `=hh` bytes.

import {
  localpartOf,
  makeRoomAlias,
  makeUserId,
  type RemoteRoomId,
  type RemoteUserId,
  type RoomAlias,
  remoteRoomId,
  remoteUserId,
  serverNameOf,
  type UserId,
} from "../ids.ts";
import { fillTemplate, matchTemplate, TEMPLATE_PLACEHOLDER } from "../templates.ts";

const ALIAS_KEPT = /[\x21-\x39\x3b\x3c\x3e-\x7e]/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function escapeAliasPart(id: string): string {
  let out = "";
  for (const ch of id) {
    if (ALIAS_KEPT.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += "=" + byte.toString(16).padStart(2, "0");
  }
  return out;
}

export function unescapeAliasPart(part: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < part.length; ) {
    const ch = part[i]!;
    if (ch === "=") {
      const hex = part.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else if (ALIAS_KEPT.test(ch)) {
      bytes.push(ch.charCodeAt(0));
      i += 1;
    } else {
      return null;
    }
  }
  try {
    const id = decoder.decode(new Uint8Array(bytes));
    return escapeAliasPart(id) === part ? id : null;
  } catch {
    return null;
  }
}

export class Naming {
  readonly domain: string;
  readonly botUserId: UserId;
  private readonly ghostTemplate: string;
  private readonly aliasPrefix: string;
  private readonly aliasSuffix: string;

  constructor(options: {
    domain: string;
    botLocalpart: string;
    ghostTemplate: string;
    aliasTemplate: string;
  }) {
    this.domain = options.domain;
    this.botUserId = makeUserId(options.botLocalpart, options.domain);
    this.ghostTemplate = options.ghostTemplate;
    const [prefix = "", suffix = ""] = options.aliasTemplate.split(TEMPLATE_PLACEHOLDER);
    this.aliasPrefix = prefix;
    this.aliasSuffix = suffix;
  }

  ghostUserId(id: RemoteUserId): UserId {
    return makeUserId(fillTemplate(this.ghostTemplate, id), this.domain);
  }

  /** The remote user a ghost stands for, or null when `userId` is not one of this bridge's ghosts. */
  remoteUserOf(userId: UserId): RemoteUserId | null {
    if (serverNameOf(userId) !== this.domain) return null;
    const id = matchTemplate(this.ghostTemplate, localpartOf(userId));
    return id === null ? null : remoteUserId(id);
  }

  /** The bot and the ghosts: users whose events the bridge itself sent, and must never bridge back. */
  isBridgeUser(userId: string): boolean {
    return userId === this.botUserId || this.remoteUserOf(userId as UserId) !== null;
  }

  portalAliasLocalpart(id: RemoteRoomId): string {
    return this.aliasPrefix + escapeAliasPart(id) + this.aliasSuffix;
  }

  portalAlias(id: RemoteRoomId): RoomAlias {
    return makeRoomAlias(this.portalAliasLocalpart(id), this.domain);
  }

  /** The remote room an alias in the bridge's namespace stands for, or null. */
  remoteRoomOf(alias: RoomAlias): RemoteRoomId | null {
    if (serverNameOf(alias) !== this.domain) return null;
    const local = localpartOf(alias);
    const min = this.aliasPrefix.length + this.aliasSuffix.length;
    if (local.length <= min || !local.startsWith(this.aliasPrefix) || !local.endsWith(this.aliasSuffix))
      return null;
    const id = unescapeAliasPart(
      local.slice(this.aliasPrefix.length, local.length - this.aliasSuffix.length),
    );
    return id === null ? null : remoteRoomId(id);
  }
}
