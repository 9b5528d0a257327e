// The Matrix side of the PostgreSQL store, with the level inbox's guarantees: a transaction's events, its id and
// digest, the ids of the events it brought and the time of acceptance are written by one statement, which commits
// as a whole before the homeserver gets its 200. Sequence numbers are handed out by this process (the store has one
// writer), so a statement retried after a lost answer writes the same rows and skips those already there.

import { createHash } from "node:crypto";
import type { TransactionId } from "../ids.ts";
import type { PgHandledWrites } from "./pg-handled-writes.ts";
import type { PgPool } from "./pg-pool.ts";
import { type AcceptedTransaction, type InboxEntry, type NewInboxItem, RECOVERED_TXN } from "./store.ts";

/** As in the level store: homeservers retry for minutes or hours, not weeks. */
const RETENTION_MS = 7 * 24 * 3600 * 1000;
export const LAST_ACCEPTED = "last-accepted";

const WRITE = `
  WITH entries AS (
    INSERT INTO inbox (seq, txn_id, kind, event, received_at)
    SELECT seq, $2, kind, event, $3 FROM unnest($4::bigint[], $5::text[], $6::json[]) AS e (seq, kind, event)
    ON CONFLICT (seq) DO NOTHING
  ), accepted AS (
    INSERT INTO accepted_events (event_id, at) SELECT unnest($7::text[]), $3
    ON CONFLICT (event_id) DO UPDATE SET at = excluded.at
  ), txn AS (
    INSERT INTO transactions (txn_id, digest, at) SELECT $2, $1, $3 WHERE $1::text IS NOT NULL
    ON CONFLICT (txn_id) DO UPDATE SET digest = excluded.digest, at = excluded.at
  )
  INSERT INTO bridge_meta (key, value) VALUES ('${LAST_ACCEPTED}', $3)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

interface InboxRow {
  seq: string;
  txn_id: string;
  kind: InboxEntry["kind"];
  event: InboxEntry["event"];
  received_at: string;
}

export class PgInbox {
  private readonly db: PgPool;
  private readonly handled: PgHandledWrites;
  private nextSeq = 0;
  lastAcceptedBeforeOpen: number | null = null;
  // Accepting is a check-then-write; one at a time makes it atomic, as this process is the store's only writer.
  private chain: Promise<unknown> = Promise.resolve();
  private forgetting: Promise<void> = Promise.resolve();

  constructor(db: PgPool, handled: PgHandledWrites) {
    this.db = db;
    this.handled = handled;
  }

  async open(): Promise<void> {
    const [row] = await this.db.query<{ next: string; last: string | null }>(
      `SELECT (SELECT coalesce(max(seq) + 1, 0) FROM inbox) AS next,
              (SELECT value FROM bridge_meta WHERE key = '${LAST_ACCEPTED}') AS last`,
    );
    this.nextSeq = Number(row?.next ?? 0);
    this.lastAcceptedBeforeOpen = row?.last == null ? null : Number(row.last);
    const cutoff = Date.now() - RETENTION_MS;
    // Beside the start, not ahead of it; indexed by time, so it reads only what it deletes.
    this.forgetting = this.serially(async () => {
      await this.db.query("DELETE FROM transactions WHERE at < $1", [cutoff]);
      await this.db.query("DELETE FROM accepted_events WHERE at < $1", [cutoff]);
    }).catch(() => undefined);
  }

  accept(txnId: TransactionId, items: NewInboxItem[]): Promise<AcceptedTransaction | null> {
    return this.serially(async () => {
      const digest = digestOf(items);
      // The replay check and the events accepted before, in one round trip.
      const [known] = await this.db.query<{ digest: string | null; accepted: string[] }>(
        `SELECT (SELECT digest FROM transactions WHERE txn_id = $1) AS digest,
           ARRAY(SELECT event_id FROM accepted_events WHERE event_id = ANY($2::text[])) AS accepted`,
        [txnId, namedIds(items)],
      );
      if (known?.digest === digest) return null;
      const entries = await this.store(txnId, digest, items, Date.now(), new Set(known?.accepted));
      return { entries, alreadyAccepted: items.length - entries.length, reusedId: known?.digest != null };
    });
  }

  acceptRecovered(items: NewInboxItem[]): Promise<InboxEntry[]> {
    return this.serially(async () => {
      const named = namedIds(items);
      const before =
        named.length === 0
          ? []
          : await this.db.query<{ event_id: string }>(
              "SELECT event_id FROM accepted_events WHERE event_id = ANY($1::text[])",
              [named],
            );
      return this.store(RECOVERED_TXN, null, items, Date.now(), new Set(before.map((row) => row.event_id)));
    });
  }

  /** Stores the items whose event ids are not in `accepted` (nor earlier in `items`). */
  private async store(
    txnId: TransactionId,
    digest: string | null,
    items: NewInboxItem[],
    receivedAt: number,
    accepted: Set<string>,
  ): Promise<InboxEntry[]> {
    const ids = items.map((item) => item.event["event_id"]);
    const fresh = items.filter((_, i) => {
      const id = ids[i];
      if (typeof id !== "string") return true;
      if (accepted.has(id)) return false;
      accepted.add(id);
      return true;
    });
    const first = this.nextSeq;
    const entries: InboxEntry[] = fresh.map((item, i) => ({ ...item, seq: first + i, txnId, receivedAt }));
    const freshIds = entries.map((e) => e.event["event_id"]).filter((id) => typeof id === "string");
    await this.db.query(WRITE, [
      digest,
      txnId,
      receivedAt,
      entries.map((e) => e.seq),
      entries.map((e) => e.kind),
      entries.map((e) => JSON.stringify(e.event)),
      freshIds,
    ]);
    // Only once written: a failed write hands out the same numbers again.
    this.nextSeq = first + entries.length;
    return entries;
  }

  async pending(): Promise<InboxEntry[]> {
    const rows = await this.db.query<InboxRow>(
      "SELECT seq, txn_id, kind, event, received_at FROM inbox ORDER BY seq",
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      txnId: row.txn_id as TransactionId,
      kind: row.kind,
      event: row.event,
      receivedAt: Number(row.received_at),
    }));
  }

  /**
   * Deletes the entry. With `scrub` (it held credentials), VACUUM then removes the dead row from the table and its
   * index at once instead of whenever autovacuum gets to it; what PostgreSQL still keeps (WAL until it is recycled,
   * archives, backups) is in the README.
   */
  async complete(seq: number, options: { scrub?: boolean } = {}): Promise<void> {
    if (!options.scrub) return this.handled.completeInbox(seq);
    await this.db.query("DELETE FROM inbox WHERE seq = $1", [seq]);
    await this.db.query("VACUUM inbox");
  }

  async close(): Promise<void> {
    await this.chain;
    await this.forgetting;
    await this.handled.idle();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

const namedIds = (items: NewInboxItem[]): string[] => [
  ...new Set(
    items.map((item) => item.event["event_id"]).filter((id): id is string => typeof id === "string"),
  ),
];

/** The level store's digest, so that a store copied from LevelDB still recognises replays. */
export function digestOf(items: NewInboxItem[]): string {
  return createHash("sha256").update(JSON.stringify(items)).digest("base64url");
}
