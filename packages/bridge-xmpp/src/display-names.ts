// The nick a Matrix user's puppet takes in a MUC is their display name. The core hands the plugin only user ids, so
// the name is read from the homeserver's public profile API (cached for a while; the user id's localpart when the
// homeserver does not tell).

import { localpartOf, type UserId } from "bridge-core";

const CACHE_MS = 5 * 60_000;

export class DisplayNames {
  private readonly homeserverUrl: string;
  private readonly cache = new Map<UserId, { name: string; until: number }>();

  constructor(homeserverUrl: string) {
    this.homeserverUrl = homeserverUrl.replace(/\/$/, "");
  }

  async of(userId: UserId): Promise<string> {
    const cached = this.cache.get(userId);
    if (cached !== undefined && cached.until > Date.now()) return cached.name;
    const name = (await this.fetch(userId)) ?? localpartOf(userId);
    this.cache.set(userId, { name, until: Date.now() + CACHE_MS });
    return name;
  }

  private async fetch(userId: UserId): Promise<string | null> {
    try {
      const response = await fetch(
        `${this.homeserverUrl}/_matrix/client/v3/profile/${encodeURIComponent(userId)}/displayname`,
        { signal: AbortSignal.timeout(5_000) },
      );
      if (!response.ok) return null;
      const body = (await response.json()) as { displayname?: unknown };
      return typeof body.displayname === "string" && body.displayname.trim() !== "" ? body.displayname : null;
    } catch {
      return null;
    }
  }
}
