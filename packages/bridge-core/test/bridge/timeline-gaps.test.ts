import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { TimelineGaps } from "../../src/bridge/timeline-gaps.ts";
import type { EventId, RoomId, TransactionId, UserId } from "../../src/ids.ts";
import { Logger } from "../../src/log.ts";
import type { MatrixClient } from "../../src/matrix/client.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import type { InboxEntry, MatrixEventJson } from "../../src/store/store.ts";

const ROOM = "!room:hs.test" as RoomId;

function event(n: number, sender = "@alice:hs.test"): MatrixEventJson {
  return {
    type: "m.room.message",
    room_id: ROOM,
    event_id: `$e${n}`,
    sender,
    origin_server_ts: 1_000 + n,
    content: { body: `m${n}` },
  };
}

const entry = (n: number, txnId: string, seq = n): InboxEntry => ({
  seq,
  txnId: txnId as TransactionId,
  kind: "timeline",
  event: event(n),
  receivedAt: 5_000,
});

/**
 * A room whose timeline holds `timeline` (oldest first): `/messages` serves it in pages of two, newest first, and
 * `/context` the events before one. `accepted` holds the event ids the store has accepted.
 */
function setUp(timeline: MatrixEventJson[], accepted: Set<string>, lastHeard: number | null = 0) {
  const handled: string[] = [];
  const seen = new Set<string>();
  const client = {
    request: async (_method: string, path: string, opts: { query?: Record<string, unknown> }) => {
      const newestFirst = [...timeline].reverse();
      const context = /\/context\/(.+)$/.exec(decodeURIComponent(path));
      if (context !== null) {
        const at = newestFirst.findIndex((e) => e["event_id"] === context[1]);
        return { events_before: newestFirst.slice(at + 1) };
      }
      const from = opts.query?.["from"];
      const start = from === undefined ? 0 : Number(from);
      const chunk = newestFirst.slice(start, start + 2);
      return start + 2 < newestFirst.length ? { chunk, end: String(start + 2) } : { chunk };
    },
  } as unknown as MatrixClient;
  const gaps = new TimelineGaps({
    client,
    botUserId: "@bot:hs.test" as UserId,
    canRead: () => true,
    concerns: (e) => !String(e["sender"]).startsWith("@bridge_"),
    seen: (eventId) => seen.has(eventId),
    accept: async (events) =>
      events
        .filter((e) => !accepted.has(String(e["event_id"])))
        .map((e, i) => {
          accepted.add(String(e["event_id"]));
          return {
            seq: 100 + i,
            txnId: "recovered" as TransactionId,
            kind: "timeline",
            event: e,
            receivedAt: 0,
          };
        }),
    handle: async (found) => {
      handled.push(String(found.event["event_id"]));
    },
    queue: new KeyedQueue(),
    logger: Logger.create({ sink: { write: () => {} } }),
    delayMs: 5,
    lastHeard,
  });
  /** The bridge handled event n, delivered in a transaction. */
  const delivered = (n: number) => {
    accepted.add(`$e${n}`);
    seen.add(`$e${n}`);
    gaps.noteHandled(ROOM, `$e${n}` as EventId, 1_000 + n);
  };
  return { gaps, handled, delivered };
}

describe("TimelineGaps: events the homeserver never delivered", () => {
  it("while recovering, handles what a transaction's first event follows and was never delivered, first", async () => {
    const timeline = [event(1), event(2), event(3), event(4, "@bridge_carol:hs.test"), event(5), event(6)];
    const { gaps, handled, delivered } = setUp(timeline, new Set());
    delivered(1);
    delivered(3);
    // 5 and 6 arrive in one transaction; 2 was stranded, 4 is the bridge's own.
    const arrived = [entry(5, "7"), entry(6, "7")];
    gaps.noteTransaction(false, arrived);
    for (const e of arrived) await gaps.recoverBefore(e);
    assert.deepEqual(handled, ["$e2"]);
  });

  it("looks no further back than the previous run's last word from the homeserver, less a clock margin", async () => {
    const old = { ...event(1), origin_server_ts: 1 };
    const { gaps, handled } = setUp([old, event(2)], new Set(), 70_000);
    gaps.noteTransaction(false, [entry(2, "1")]);
    await gaps.recoverBefore(entry(2, "1"));
    assert.deepEqual(handled, [], "before 70 s − 60 s: not looked for");
    const fresh = setUp([old, event(2)], new Set(), null);
    fresh.gaps.noteTransaction(false, [entry(2, "1")]);
    await fresh.gaps.recoverBefore(entry(2, "1"));
    assert.deepEqual(fresh.handled, [], "a store that never recorded it looks for nothing before this start");
  });

  it("decides when a transaction arrives: checked however late it is handled, not after the window closed", async (t) => {
    t.mock.timers.enable({ apis: ["Date"], now: 10_000 });
    const later = (n: number) => ({ ...event(n), origin_server_ts: 125_000 + n });
    const { gaps, handled, delivered } = setUp([event(1), event(2), event(3), later(4), later(5)], new Set());
    delivered(1);
    gaps.noteTransaction(false, [entry(3, "8")]);
    // The room is busy: 3 is handled two minutes after it arrived, and still looked before.
    t.mock.timers.setTime(10_000 + 120_000);
    await gaps.recoverBefore(entry(3, "8"));
    assert.deepEqual(handled, ["$e2"]);
    // The window closed 60 s after the first transaction: later ones are not looked before…
    gaps.noteTransaction(false, [entry(5, "9")]);
    await gaps.recoverBefore(entry(5, "9"));
    assert.deepEqual(handled, ["$e2"]);
    // …until a replayed transaction shows the homeserver recovering again.
    gaps.noteTransaction(true, []);
    gaps.noteTransaction(false, [entry(5, "10", 50)]);
    await gaps.recoverBefore(entry(5, "10", 50));
    assert.deepEqual(handled, ["$e2", "$e4"]);
  });

  it("late: handles what was skipped before the newest handled event, nothing newer, nothing twice", async () => {
    const timeline = [event(1), event(2), event(3), event(4, "@bridge_carol:hs.test"), event(5), event(6)];
    const accepted = new Set<string>();
    const { handled, delivered } = setUp(timeline, accepted);
    delivered(1);
    delivered(3);
    delivered(5);
    await sleep(30);
    // 2 was never delivered; 4 is the bridge's own; 6 is newer than anything handled, so may still be on its way.
    assert.deepEqual(handled, ["$e2"]);
  });

  it("late: an event accepted but still queued is not handled a second time", async () => {
    const accepted = new Set(["$e2"]);
    const { handled, delivered } = setUp([event(1), event(2), event(3)], accepted);
    delivered(1);
    delivered(3);
    await sleep(30);
    assert.deepEqual(handled, []);
  });
});
