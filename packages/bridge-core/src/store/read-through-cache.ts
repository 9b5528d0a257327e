// Rows the bridge reads for every event but writes rarely (room links, logins): kept in memory in front of the store.
// Only this process writes the store, so the cache is exact as long as every write goes through `set`; a read that
// was under way while a write happened does not fill the cache, so it cannot put back what the write replaced.
// Callers get copies: a caller changing what it got must not change the cache.

import { LruMap } from "../matrix/lru-map.ts";

export class ReadThroughCache<K, V extends object> {
  private readonly entries: LruMap<K, V | null>;
  private writes = 0;

  constructor(maxSize: number) {
    this.entries = new LruMap(maxSize);
  }

  async get(key: K, load: () => Promise<V | null>): Promise<V | null> {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached === null ? null : { ...cached };
    const writesBefore = this.writes;
    const value = await load();
    if (this.writes === writesBefore) this.entries.set(key, value === null ? null : { ...value });
    return value;
  }

  /** Records what was just written for `key` (null: deleted). */
  set(key: K, value: V | null): void {
    this.writes++;
    this.entries.set(key, value === null ? null : { ...value });
  }
}
