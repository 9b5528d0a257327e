// One place that hands out intents, so the bridge core and every network plugin act through the same client and the
// same membership cache: a join or registration one of them did is known to all of them.

import type { UserId } from "../ids.ts";
import type { MatrixClient } from "./client.ts";
import { type EventSealer, Intent } from "./intent.ts";
import { LruMap } from "./lru-map.ts";
import type { MembershipCache } from "./membership-cache.ts";

export interface IntentFactoryOptions {
  client: MatrixClient;
  /** The registration's sender: `@{sender_localpart}:{server_name}`. */
  botUserId: UserId;
  cache: MembershipCache;
  /** Ghost intents kept around; default 10 000. Their state lives in the cache, so dropping one loses nothing. */
  maxIntents?: number;
}

export class IntentFactory {
  readonly client: MatrixClient;
  readonly cache: MembershipCache;
  readonly bot: Intent;
  /** Encrypts what every intent sends into encrypted rooms, once the bridge's encryption runs; null: none. */
  sealer: EventSealer | null = null;
  private readonly intents: LruMap<UserId, Intent>;

  constructor(opts: IntentFactoryOptions) {
    this.client = opts.client;
    this.cache = opts.cache;
    const sealer = () => this.sealer;
    this.bot = new Intent({
      client: opts.client,
      cache: opts.cache,
      userId: opts.botUserId,
      bot: null,
      sealer,
    });
    this.intents = new LruMap(opts.maxIntents ?? 10_000);
  }

  /** The intent acting as `userId`, which must be the bot or a user in the registration's namespaces. */
  intentFor(userId: UserId): Intent {
    if (userId === this.bot.userId) return this.bot;
    let intent = this.intents.get(userId);
    if (intent === undefined) {
      intent = new Intent({
        client: this.client,
        cache: this.cache,
        userId,
        bot: this.bot,
        sealer: () => this.sealer,
      });
      this.intents.set(userId, intent);
    }
    return intent;
  }
}
