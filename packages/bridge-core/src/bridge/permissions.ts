// Who may use the bridge: `bridge.permissions` maps "*", a server name or a full user id to a level; the most specific
// entry wins. Without any entry, users of the bridge's own homeserver may use it and nobody else may.

import { serverNameOf, type UserId } from "../ids.ts";

export type PermissionLevel = "none" | "user" | "admin";

export class Permissions {
  private readonly table: Record<string, "user" | "admin">;
  private readonly domain: string;

  constructor(table: Record<string, "user" | "admin">, domain: string) {
    this.table = table;
    this.domain = domain;
  }

  levelOf(userId: UserId): PermissionLevel {
    const explicit = this.entry(userId) ?? this.entry(serverNameOf(userId)) ?? this.entry("*");
    if (explicit !== undefined) return explicit;
    return serverNameOf(userId) === this.domain ? "user" : "none";
  }

  // Own keys only: a server named "constructor" or "toString" must not pick up a function from Object.prototype.
  private entry(key: string): "user" | "admin" | undefined {
    return Object.hasOwn(this.table, key) ? this.table[key] : undefined;
  }
}
