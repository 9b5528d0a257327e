// Single-puppeting logins in the level store. A login's session is what the plugin needs to log the user in again
// (an XMPP account password, for one), so it is kept sealed by the secret vault, bound to its Matrix user; only the
// remote user id stays readable, for the index from remote users back to Matrix users.

import type { Level } from "level";
import type { RemoteUserId, UserId } from "../ids.ts";
import type { PuppetLogin } from "../network.ts";
import { type Json, makeSublevel, type Sub } from "./level-keys.ts";
import { ReadThroughCache } from "./read-through-cache.ts";
import type { SecretVault } from "./secret-vault.ts";
import type { LoginRecord } from "./store.ts";

interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

/**
 * Rewrites records of the sublevel `name` so that no copy of their old values stays in the store's files. LevelDB
 * keeps an overwritten value until a compaction merges it with the newer one: the first compaction moves both into
 * tables (possibly at different levels), the write after it lands above them, and the second merges all and keeps
 * only the newest.
 */
export async function rewriteScrubbed(
  db: Level<string, Json>,
  name: string,
  records: { key: string; value: Json }[],
): Promise<void> {
  if (records.length === 0) return;
  const sub = makeSublevel(db, name);
  const put = () => sub.batch(records.map(({ key, value }) => ({ type: "put" as const, key, value })));
  const compact = () => (db as unknown as Compactable).compactRange(`!${name}!`, `!${name}"`);
  await put();
  await compact();
  await put();
  await compact();
}

export class LevelLogins {
  private readonly db: Level<string, Json>;
  private readonly vault: SecretVault;
  private readonly logins: Sub;
  private readonly byRemote: Sub;
  private readonly cache: ReadThroughCache<UserId, PuppetLogin>;

  constructor(db: Level<string, Json>, vault: SecretVault, cachedRows: number) {
    this.db = db;
    this.vault = vault;
    this.logins = makeSublevel(db, "login");
    this.byRemote = makeSublevel(db, "login-r");
    this.cache = new ReadThroughCache<UserId, PuppetLogin>(cachedRows);
  }

  /** Seals the sessions stores before this one kept readable, and scrubs the readable copies; how many. */
  async sealReadable(): Promise<number> {
    const readable: { key: string; value: Json }[] = [];
    for await (const [key, value] of this.logins.iterator()) {
      if (value["sealed"] !== undefined) continue;
      const login = value as unknown as PuppetLogin;
      readable.push({ key, value: this.sealed(key as UserId, login) });
    }
    await rewriteScrubbed(this.db, "login", readable);
    return readable.length;
  }

  async put(userId: UserId, login: PuppetLogin): Promise<void> {
    const previous = remoteOf(await this.logins.get(userId));
    const stale =
      previous !== null && previous !== login.remoteUserId
        ? [{ type: "del" as const, sublevel: this.byRemote, key: previous }]
        : [];
    await this.db.batch([
      ...stale,
      { type: "put", sublevel: this.logins, key: userId, value: this.sealed(userId, login) },
      { type: "put", sublevel: this.byRemote, key: login.remoteUserId, value: { userId } },
    ]);
    this.cache.set(userId, login);
  }

  /** The login, or null when there is none or it does not open with this key (it was sealed with another). */
  get(userId: UserId): Promise<PuppetLogin | null> {
    return this.cache.get(userId, async () => this.opened(userId, await this.logins.get(userId)));
  }

  async userByRemote(remoteUserId: RemoteUserId): Promise<UserId | null> {
    const ref = await this.byRemote.get(remoteUserId);
    return typeof ref?.["userId"] === "string" ? (ref["userId"] as UserId) : null;
  }

  async delete(userId: UserId): Promise<void> {
    const remote = remoteOf(await this.logins.get(userId));
    if (remote === null) return;
    await this.db.batch([
      { type: "del", sublevel: this.logins, key: userId },
      { type: "del", sublevel: this.byRemote, key: remote },
    ]);
    this.cache.set(userId, null);
  }

  /** Every login that opens; one sealed with another key is left out (its user logs in again). */
  async list(): Promise<LoginRecord[]> {
    const out: LoginRecord[] = [];
    for await (const [key, value] of this.logins.iterator()) {
      const login = this.opened(key as UserId, value);
      if (login !== null) out.push({ userId: key as UserId, login });
    }
    return out;
  }

  private sealed(userId: UserId, login: PuppetLogin): Json {
    return {
      remoteUserId: login.remoteUserId,
      sealed: this.vault.seal(userId, JSON.stringify(login.session)) as unknown as Json,
    };
  }

  private opened(userId: UserId, value: Json | undefined): PuppetLogin | null {
    const remoteUserId = remoteOf(value);
    if (value === undefined || remoteUserId === null) return null;
    // Readable only until sealReadable ran at the store's opening.
    if (value["sealed"] === undefined) return value as unknown as PuppetLogin;
    const session = this.vault.open(userId, value["sealed"]);
    if (session === null) return null;
    return { remoteUserId, session: JSON.parse(session) as Record<string, unknown> };
  }
}

const remoteOf = (value: Json | undefined): RemoteUserId | null =>
  typeof value?.["remoteUserId"] === "string" ? (value["remoteUserId"] as RemoteUserId) : null;
