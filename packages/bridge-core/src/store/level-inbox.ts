// The Matrix side of the level store: transactions from the homeserver, the events they brought, and the inbox of
// events accepted but not yet handled. A transaction's events, its id and its digest go to disk in one batch.

import { createHash } from "node:crypto";
import type { Level } from "level";
import type { TransactionId } from "../ids.ts";
import { type BatchOp, type Json, makeSublevel, type Sub, seqKey } from "./level-keys.ts";
import { type AcceptedTransaction, type InboxEntry, type NewInboxItem, RECOVERED_TXN } from "./store.ts";
import type { WriteGroup } from "./write-group.ts";

/**
 * Transaction ids and accepted event ids older than this are forgotten after start-up; homeservers retry for minutes
 * or hours, not weeks.
 */
const RETENTION_MS = 7 * 24 * 3600 * 1000;
/** The inbox sublevel's keys on the root database: `!inbox!…`, bounded by the character after the separator. */
const INBOX_START = "!inbox!";
const INBOX_END = '!inbox"';
const LAST_ACCEPTED = "last-accepted";

interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

export class LevelInbox {
  private readonly db: Level<string, Json>;
  private readonly sync: boolean;
  /** Where marking entries handled goes: written together with the other small writes of the same turn. */
  private readonly group: WriteGroup<BatchOp>;
  private readonly txns: Sub;
  /** Event ids of every accepted event, whichever transaction brought it. */
  private readonly acceptedEvents: Sub;
  private readonly entries: Sub;
  private readonly meta: Sub;
  private nextSeq = 0;
  /** When the store last accepted events before this opening: the previous run's last word from the homeserver. */
  lastAcceptedBeforeOpen: number | null = null;
  // Accepting is a check-then-write; running one at a time makes it atomic within this process.
  private chain: Promise<unknown> = Promise.resolve();
  /** Forgetting old records runs beside the bridge's start, not ahead of it; close waits for it. */
  private forgetting: Promise<void> = Promise.resolve();

  constructor(db: Level<string, Json>, sync: boolean, group: WriteGroup<BatchOp>) {
    this.db = db;
    this.sync = sync;
    this.group = group;
    this.txns = makeSublevel(db, "txn");
    this.acceptedEvents = makeSublevel(db, "accepted-event");
    this.entries = makeSublevel(db, "inbox");
    this.meta = makeSublevel(db, "inbox-meta");
  }

  /** Reads where the inbox left off; call once the database is open. */
  async open(): Promise<void> {
    for await (const key of this.entries.keys({ reverse: true, limit: 1 })) this.nextSeq = Number(key) + 1;
    const last = (await this.meta.get(LAST_ACCEPTED))?.["at"];
    this.lastAcceptedBeforeOpen = typeof last === "number" ? last : null;
    const cutoff = Date.now() - RETENTION_MS;
    this.forgetting = Promise.all(
      [this.txns, this.acceptedEvents].map((sub) => this.forgetBefore(sub, cutoff)),
    )
      .then(() => undefined)
      .catch(() => undefined);
  }

  accept(txnId: TransactionId, items: NewInboxItem[]): Promise<AcceptedTransaction | null> {
    return this.serially(async () => {
      const digest = digestOf(items);
      const named = namedIds(items);
      // The replay check and the events accepted before, in one read.
      const [known, ...before] = await this.db.getMany([
        this.txns.prefixKey(txnId, "utf8"),
        ...named.map((id) => this.acceptedEvents.prefixKey(id, "utf8")),
      ]);
      if (known !== undefined && known["digest"] === digest) return null;
      const at = Date.now();
      const accepted = new Set(named.filter((_, i) => before[i] !== undefined));
      const entries = await this.store(txnId, items, at, accepted, [
        { type: "put", sublevel: this.txns, key: txnId, value: { at, digest } },
      ]);
      return { entries, alreadyAccepted: items.length - entries.length, reusedId: known !== undefined };
    });
  }

  /** Events found by reading a room back: those never accepted before are stored and returned, in order. */
  acceptRecovered(items: NewInboxItem[]): Promise<InboxEntry[]> {
    return this.serially(async () => {
      const named = namedIds(items);
      const before = named.length === 0 ? [] : await this.acceptedEvents.getMany(named);
      const accepted = new Set(named.filter((_, i) => before[i] !== undefined));
      return this.store(RECOVERED_TXN, items, Date.now(), accepted, []);
    });
  }

  /**
   * Stores the items whose event ids are not in `accepted` (nor earlier in `items`), with `also` in the same batch.
   */
  private async store(
    txnId: TransactionId,
    items: NewInboxItem[],
    receivedAt: number,
    accepted: Set<string>,
    also: BatchOp[],
  ): Promise<InboxEntry[]> {
    const ids = items.map((item) => item.event["event_id"]);
    const fresh = items.filter((_, i) => {
      const id = ids[i];
      if (typeof id !== "string") return true;
      if (accepted.has(id)) return false;
      accepted.add(id);
      return true;
    });
    const entries: InboxEntry[] = fresh.map((item) => ({ ...item, seq: this.nextSeq++, txnId, receivedAt }));
    const puts = entries.flatMap((entry) => {
      const id = entry.event["event_id"];
      const value = entry as unknown as Json;
      const put = { type: "put" as const, sublevel: this.entries, key: seqKey(entry.seq), value };
      const seen = {
        type: "put" as const,
        sublevel: this.acceptedEvents,
        key: String(id),
        value: { at: receivedAt },
      };
      return typeof id === "string" ? [put, seen] : [put];
    });
    const last = { type: "put" as const, sublevel: this.meta, key: LAST_ACCEPTED, value: { at: receivedAt } };
    await this.db.batch([...also, ...puts, last], { sync: this.sync });
    return entries;
  }

  async pending(): Promise<InboxEntry[]> {
    return (await this.entries.values().all()) as unknown as InboxEntry[];
  }

  async complete(seq: number, options: { scrub?: boolean } = {}): Promise<void> {
    await this.group.add({ type: "del", sublevel: this.entries, key: seqKey(seq) });
    // LevelDB keeps deleted values in its log and tables until it compacts them. Compacting the inbox's range
    // flushes the log and rewrites the tables without the entry, so a password typed into a room is gone from disk.
    if (options.scrub) await this.scrub(seqKey(seq));
  }

  async close(): Promise<void> {
    await this.chain;
    await this.forgetting;
  }

  /**
   * LevelDB keeps a deleted value in its log and tables until a compaction rewrites the table that holds it. The
   * first compaction flushes the log into a table (put and deletion side by side, possibly pushed to a deep level);
   * a second deletion then lands in a table just above it, so the second compaction must merge the two and drops
   * both, leaving no copy of the value on disk.
   */
  private async scrub(key: string): Promise<void> {
    const db = this.db as unknown as Compactable;
    await db.compactRange(INBOX_START, INBOX_END);
    await this.entries.del(key);
    await db.compactRange(INBOX_START, INBOX_END);
  }

  /**
   * Deletes the records of a sublevel written before `cutoff` (their value's `at`). The scan runs beside new
   * transactions; the deletion runs between them and spares a record that one of them wrote anew meanwhile.
   */
  private async forgetBefore(sub: Sub, cutoff: number): Promise<void> {
    const stale: string[] = [];
    for await (const [key, value] of sub.iterator()) if (isOlder(value, cutoff)) stale.push(key);
    if (stale.length === 0) return;
    await this.serially(async () => {
      const now = await sub.getMany(stale);
      const still = stale.filter((_, i) => isOlder(now[i], cutoff));
      await sub.batch(still.map((key) => ({ type: "del" as const, key })));
    });
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

/** What identifies a transaction's content: a retry of the same transaction carries the same events, in order. */
function digestOf(items: NewInboxItem[]): string {
  return createHash("sha256").update(JSON.stringify(items)).digest("base64url");
}

const isOlder = (value: Json | undefined, cutoff: number): boolean =>
  typeof value?.["at"] === "number" && value["at"] < cutoff;
