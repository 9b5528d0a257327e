// Which remote rooms may get portals. An alias query does not say who asks, so without a limit any Matrix user of
// any server could make the bridge join any channel or MUC (and keep its account there) just by looking up an alias.
// The admin's `portals.allow` / `portals.deny` patterns decide; without them every room may, as before.
// Patterns are globs (`*` any run of characters, `?` one) matched against the whole remote room id, ignoring case:
// IRC channels and XMPP addresses ignore case, and a deny list that "#Secret" slips past protects nothing.

import type { RemoteRoomId } from "../ids.ts";

export interface PortalRules {
  /** When set, only rooms matching one of these patterns may get portals. */
  allow?: readonly string[];
  /** Rooms matching one of these never get portals; deny wins over allow. */
  deny?: readonly string[];
}

/** A glob as an anchored, case-insensitive regular expression; every other character stands for itself. */
export function globToRegExp(pattern: string): RegExp {
  const source = [...pattern]
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "iu");
}

export class PortalPolicy {
  private readonly allow: RegExp[] | null;
  private readonly deny: RegExp[];

  constructor(rules: PortalRules = {}) {
    this.allow = rules.allow === undefined ? null : rules.allow.map(globToRegExp);
    this.deny = (rules.deny ?? []).map(globToRegExp);
  }

  /** Whether the bridge may make a portal for `id`. */
  allows(id: RemoteRoomId): boolean {
    if (this.deny.some((re) => re.test(id))) return false;
    return this.allow === null || this.allow.some((re) => re.test(id));
  }
}
