// Events the homeserver never delivered. Synapse sends an application service its events in order, but its scheduler
// can strand a transaction it creates while it counts the bridge as down, just as its recovery ends: that transaction
// stays unsent until the next outage, and the events in it would never be bridged. So, a while after events were
// handled in a room, the bridge reads the room's recent timeline back and handles what it never saw that is older
// than what it did see (newer events may simply still be on their way). Such an event arrives late, but it arrives.

import type { EventId, RoomId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixEventJson } from "../store/store.ts";

export interface TimelineGapsDeps {
  /** One page of the room's timeline, newest first (`/messages?dir=b`), from `from` or from the newest event. */
  page(
    roomId: RoomId,
    from: string | undefined,
    limit: number,
  ): Promise<{ chunk?: MatrixEventJson[]; end?: string }>;
  /** Whether the event is one the bridge should have been given: a bridged type, not from the bridge itself. */
  concerns(event: MatrixEventJson): boolean;
  /** Handles an event found missing, in the room's order of work; false if it was handled meanwhile after all. */
  recover(roomId: RoomId, event: MatrixEventJson): Promise<boolean>;
  /** Whether the event was handled (or is queued to be). */
  seen(eventId: string): boolean;
  logger: Logger;
  /** How long after handling events in a room its timeline is read back. */
  delayMs: number;
  /** Events older than this were the previous run's to handle (they came back through the inbox if they were not). */
  since: number;
}

interface RoomState {
  /** The newest event handled in the room, by its timestamp. */
  newest: { eventId: string; ts: number };
  /** Events older than this were checked already. */
  checkedUpTo: number;
  timer?: NodeJS.Timeout;
}

/** Pages read back at most per check: enough for a busy room's events in one delay. */
const MAX_PAGES = 10;
const PAGE_SIZE = 100;

export class TimelineGaps {
  private readonly deps: TimelineGapsDeps;
  private readonly rooms = new Map<RoomId, RoomState>();
  private stopped = false;

  constructor(deps: TimelineGapsDeps) {
    this.deps = deps;
  }

  /** An event of a bridged room was handled: the room's timeline is read back once the delay has passed. */
  noteHandled(roomId: RoomId, eventId: EventId, ts: number): void {
    if (this.stopped) return;
    let state = this.rooms.get(roomId);
    if (state === undefined) {
      state = { newest: { eventId, ts }, checkedUpTo: this.deps.since };
      this.rooms.set(roomId, state);
    } else if (ts >= state.newest.ts) {
      state.newest = { eventId, ts };
    }
    // Not pushed back by later events: a busy room is still checked every delay.
    if (state.timer === undefined) {
      state.timer = setTimeout(() => {
        if (state.timer !== undefined) delete state.timer;
        this.check(roomId).catch((err: unknown) =>
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

  private async check(roomId: RoomId): Promise<void> {
    const state = this.rooms.get(roomId);
    if (state === undefined || this.stopped) return;
    const { newest, checkedUpTo } = state;
    const window = await this.readBack(roomId, checkedUpTo);
    // Only what is older than the newest handled event can be missing; anything newer may still be on its way.
    const cut = window.findIndex((event) => event["event_id"] === newest.eventId);
    const before = cut < 0 ? window.filter((event) => eventTs(event) < newest.ts) : window.slice(0, cut);
    for (const event of before) {
      const eventId = event["event_id"];
      if (typeof eventId !== "string" || this.deps.seen(eventId) || !this.deps.concerns(event)) continue;
      if (await this.deps.recover(roomId, event)) {
        this.deps.logger.warn("recovered an event the homeserver never delivered", { roomId, eventId });
      }
    }
    state.checkedUpTo = Math.max(state.checkedUpTo, newest.ts);
  }

  /** The room's events from `since` on, oldest first. */
  private async readBack(roomId: RoomId, since: number): Promise<MatrixEventJson[]> {
    const events: MatrixEventJson[] = [];
    let from: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { chunk = [], end } = await this.deps.page(roomId, from, PAGE_SIZE);
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
