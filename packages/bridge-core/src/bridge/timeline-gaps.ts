// Events the homeserver never delivered. Synapse sends an application service its events in order, but its scheduler
// can strand a transaction: while it counts the bridge as down (after a stop, a crash or a failed delivery) it only
// stores new transactions, and one stored just as its recovery finishes stays unsent until the next outage. The
// events in it would be bridged never, or — if they came through another way meanwhile — twice.
//
// Two readings of the room's timeline find such events, and each found event is accepted like a delivered one (by
// event id, durably), so that the homeserver delivering it after all, even after a restart, changes nothing:
// - In order: while the homeserver may be recovering (after the bridge starts, or when it retries a transaction),
//   the first event of each transaction in a room is preceded by a look at the events before it; any that were never
//   delivered are handled first.
// - Late: a while after events were handled in a room, the timeline is read back for anything older that the bridge
//   never saw. This catches what the first reading cannot (a homeserver that gave no sign of recovering); such an
//   event arrives after later ones, but it arrives.

import type { EventId, RoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { type MatrixClient, matrixPath } from "../matrix/client.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import { type InboxEntry, type MatrixEventJson, RECOVERED_TXN } from "../store/store.ts";

export interface TimelineGapsDeps {
  client: MatrixClient;
  /** Who reads the timelines: the bot, which is in every room it can check. */
  botUserId: UserId;
  /** Whether the bot can read the room (it has joined it). */
  canRead(roomId: RoomId): boolean;
  /** Whether the event is one the bridge should have been given: a bridged type, not from the bridge itself. */
  concerns(event: MatrixEventJson): boolean;
  /** Whether the event was handled already: a quick look before asking the store. */
  seen(eventId: string): boolean;
  /** Accepts events found missing; returns those never accepted before, in order. */
  accept(events: MatrixEventJson[]): Promise<InboxEntry[]>;
  /** Handles an accepted entry and marks it done. */
  handle(entry: InboxEntry): Promise<void>;
  /** The bridge's per-room order of work, which events found late join. */
  queue: KeyedQueue;
  logger: Logger;
  /** How long after handling events in a room its timeline is read back. */
  delayMs: number;
  /** When the previous run last heard from the homeserver (null if there was none): where recovery may begin. */
  lastHeard: number | null;
}

interface RoomState {
  /** The newest event handled in the room, by its timestamp. */
  newest: { eventId: string; ts: number };
  /** Events older than this were checked already. */
  checkedUpTo: number;
  timer?: NodeJS.Timeout;
}

/** Pages read back at most per late check: enough for a busy room's events in one delay. */
const MAX_PAGES = 10;
const PAGE_SIZE = 100;
/** Events before a transaction's first event looked at: the homeserver's `/context` splits its limit in two. */
const CONTEXT_LIMIT = 100;
/**
 * How long after the first transaction of a recovery arriving transactions are checked in order. A recovering
 * homeserver sends what it held back within moments; the transaction it strands is stored at the very end. Whether
 * a transaction is checked is decided when it arrives: a busy room may handle it long after.
 */
const RECOVERY_WINDOW_MS = 60_000;
/** Clocks differ: the homeserver's timestamps are compared with the bridge's time less this. */
const CLOCK_MARGIN_MS = 60_000;

export class TimelineGaps {
  private readonly deps: TimelineGapsDeps;
  private readonly rooms = new Map<RoomId, RoomState>();
  /**
   * Events older than this were delivered to the previous run (and came back through the inbox if it did not handle
   * them): about when it last heard from the homeserver.
   */
  private readonly since: number;
  /** While open, transactions are checked in order; `closesAt` is set by the first transaction after opening. */
  private recovery: { since: number; closesAt?: number } | null;
  private lastTransactionAt: number;
  /** Entries to look before when their turn comes (by seq), with how far back to look. */
  private readonly toCheck = new Map<number, number>();
  private stopped = false;

  constructor(deps: TimelineGapsDeps) {
    this.deps = deps;
    const now = Date.now();
    // A store that never recorded when it last heard from the homeserver (new, or written by an older version)
    // cannot tell what it was given before: nothing older than this start is looked for.
    this.since = deps.lastHeard === null ? now : deps.lastHeard - CLOCK_MARGIN_MS;
    this.lastTransactionAt = deps.lastHeard ?? now;
    this.recovery = { since: this.since };
  }

  /**
   * A transaction arrived, with the entries it brought (none for a replay). A replayed one means the homeserver took
   * an earlier delivery for failed: it is recovering, and may strand what it stores meanwhile. While it may be, the
   * first event of each room in a transaction is marked to be looked before.
   */
  noteTransaction(replayed: boolean, entries: readonly InboxEntry[]): void {
    const now = Date.now();
    if (this.recovery?.closesAt !== undefined && now > this.recovery.closesAt) this.recovery = null;
    // A replay opens a new window, looking back from before the last transaction that came through.
    if (replayed) {
      const since = this.lastTransactionAt - CLOCK_MARGIN_MS;
      this.recovery = { since: Math.min(this.recovery?.since ?? since, since) };
    }
    if (this.recovery !== null && this.recovery.closesAt === undefined)
      this.recovery.closesAt = now + RECOVERY_WINDOW_MS;
    this.lastTransactionAt = now;
    if (this.recovery === null || this.stopped) return;
    const rooms = new Set<unknown>();
    for (const entry of entries) {
      const roomId = entry.event["room_id"];
      if (entry.kind !== "timeline" || rooms.has(roomId)) continue;
      rooms.add(roomId);
      this.toCheck.set(entry.seq, this.recovery.since);
    }
  }

  /**
   * Before an event is handled: if it was marked when it arrived, any event before it in the room that was never
   * delivered is handled now, first, in the room's order.
   */
  async recoverBefore(entry: InboxEntry): Promise<void> {
    const since = this.toCheck.get(entry.seq);
    if (since === undefined || entry.txnId === RECOVERED_TXN) return;
    this.toCheck.delete(entry.seq);
    const roomId = entry.event["room_id"] as RoomId;
    const eventId = entry.event["event_id"];
    if (this.stopped || typeof eventId !== "string" || !this.deps.canRead(roomId)) return;
    const before = await this.deps.client
      .request<{ events_before?: MatrixEventJson[] }>(
        "GET",
        matrixPath`/_matrix/client/v3/rooms/${roomId}/context/${eventId}`,
        { asUser: this.deps.botUserId, query: { limit: CONTEXT_LIMIT } },
      )
      .catch((err: unknown) => {
        this.deps.logger.warn("could not read the events before one", { roomId, eventId, err });
        return { events_before: [] };
      });
    // Newest first from the homeserver; handled oldest first.
    const missing = this.missing(before.events_before ?? [], since).reverse();
    await this.handleFound(roomId, missing, "before a later one");
  }

  /** An event of a bridged room was handled: the room's timeline is read back once the delay has passed. */
  noteHandled(roomId: RoomId, eventId: EventId, ts: number): void {
    if (this.stopped) return;
    let state = this.rooms.get(roomId);
    if (state === undefined) {
      state = { newest: { eventId, ts }, checkedUpTo: this.since };
      this.rooms.set(roomId, state);
    } else if (ts >= state.newest.ts) {
      state.newest = { eventId, ts };
    }
    // Not pushed back by later events: a busy room is still checked every delay.
    if (state.timer === undefined) {
      state.timer = setTimeout(() => {
        if (state.timer !== undefined) delete state.timer;
        this.checkLate(roomId).catch((err: unknown) =>
          this.deps.logger.warn("could not read a room's timeline back", { roomId, err }),
        );
      }, this.deps.delayMs);
      state.timer.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.rooms.values()) clearTimeout(state.timer);
  }

  private missing(events: MatrixEventJson[], since: number): MatrixEventJson[] {
    return events.filter((event) => {
      const eventId = event["event_id"];
      return (
        typeof eventId === "string" &&
        eventTs(event) >= since &&
        !this.deps.seen(eventId) &&
        this.deps.concerns(event)
      );
    });
  }

  /** Accepts what was found (the store drops what was accepted before) and handles it, oldest first. */
  private async handleFound(roomId: RoomId, events: MatrixEventJson[], where: string): Promise<number> {
    if (events.length === 0) return 0;
    const entries = await this.deps.accept(events);
    for (const entry of entries) {
      const eventId = entry.event["event_id"];
      this.deps.logger.warn("recovered an event the homeserver never delivered", { roomId, eventId, where });
      // A failure leaves the entry in the inbox, handled at the next start; the event it came before goes on.
      await this.deps.handle(entry).catch((err: unknown) => {
        this.deps.logger.error("handling a recovered event failed", { roomId, eventId, err });
      });
    }
    return entries.length;
  }

  private async checkLate(roomId: RoomId): Promise<void> {
    const state = this.rooms.get(roomId);
    if (state === undefined || this.stopped) return;
    const { newest, checkedUpTo } = state;
    const window = await this.readBack(roomId, checkedUpTo);
    // Only what is older than the newest handled event can be missing; anything newer may still be on its way.
    const cut = window.findIndex((event) => event["event_id"] === newest.eventId);
    const before = cut < 0 ? window.filter((event) => eventTs(event) < newest.ts) : window.slice(0, cut);
    const missing = this.missing(before, checkedUpTo);
    if (missing.length > 0) {
      // In the room's order of work: what is queued there now (the missing events' own delivery, perhaps) goes first.
      await this.deps.queue.run(roomId, () => this.handleFound(roomId, missing, "late"));
    }
    state.checkedUpTo = Math.max(state.checkedUpTo, newest.ts);
  }

  /** The room's events from `since` on, oldest first. */
  private async readBack(roomId: RoomId, since: number): Promise<MatrixEventJson[]> {
    const events: MatrixEventJson[] = [];
    let from: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { chunk = [], end } = await this.deps.client.request<{ chunk?: MatrixEventJson[]; end?: string }>(
        "GET",
        matrixPath`/_matrix/client/v3/rooms/${roomId}/messages`,
        {
          asUser: this.deps.botUserId,
          query: { dir: "b", limit: PAGE_SIZE, ...(from !== undefined && { from }) },
        },
      );
      for (const event of chunk) {
        if (eventTs(event) < since) return events.reverse();
        events.push(event);
      }
      if (end === undefined || chunk.length === 0) break;
      from = end;
    }
    return events.reverse();
  }
}

function eventTs(event: MatrixEventJson): number {
  const ts = event["origin_server_ts"];
  return typeof ts === "number" ? ts : 0;
}
