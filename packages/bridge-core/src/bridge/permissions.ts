// Who may use the bridge: `bridge.permissions` maps "*", a server name or a full user id to a level; the most specific
// entry wins, and a user no entry names has no permission. The section is authoritative when present: listing one
// admin does not quietly let every local user in. Without the section, the config loader supplies its default
// (users of the bridge's own homeserver are "user", nobody else is anything), so this class never guesses.

import { serverNameOf, type UserId } from "../ids.ts";

export type PermissionLevel = "none" | "user" | "admin";

export class Permissions {
  private readonly table: Record<string, "user" | "admin">;

  constructor(table: Record<string, "user" | "admin">) {
    this.table = table;
  }

  levelOf(userId: UserId): PermissionLevel {
    return this.entry(userId) ?? this.entry(serverNameOf(userId)) ?? this.entry("*") ?? "none";
  }

  /** Whether the user may be bridged at all: their messages, their presence, a puppet of theirs on the network. */
  allows(userId: UserId): boolean {
    return this.levelOf(userId) !== "none";
  }

  // Own keys only: a server named "constructor" or "toString" must not pick up a function from Object.prototype.
  private entry(key: string): "user" | "admin" | undefined {
    return Object.hasOwn(this.table, key) ? this.table[key] : undefined;
  }
}
