import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { TimelineGaps } from "../../src/bridge/timeline-gaps.ts";
import type { EventId, RoomId } from "../../src/ids.ts";
import { Logger } from "../../src/log.ts";
import type { MatrixEventJson } from "../../src/store/store.ts";

const ROOM = "!room:hs.test" as RoomId;

function event(n: number, sender = "@alice:hs.test"): MatrixEventJson {
  return {
    type: "m.room.message",
    event_id: `$e${n}`,
    sender,
    origin_server_ts: 1_000 + n,
    content: { body: `m${n}` },
  };
}

/** A room whose timeline holds `timeline` (oldest first), served in pages of two, newest first. */
function setUp(timeline: MatrixEventJson[], seen: Set<string>, since = 0) {
  const recovered: string[] = [];
  const gaps = new TimelineGaps({
    page: async (_roomId, from, _limit) => {
      const newestFirst = [...timeline].reverse();
      const start = from === undefined ? 0 : Number(from);
      const chunk = newestFirst.slice(start, start + 2);
      return start + 2 < newestFirst.length ? { chunk, end: String(start + 2) } : { chunk };
    },
    concerns: (e) => !String(e["sender"]).startsWith("@bridge_"),
    seen: (eventId) => seen.has(eventId),
    recover: async (_roomId, e) => {
      recovered.push(String(e["event_id"]));
      return true;
    },
    logger: Logger.create({ sink: { write: () => {} } }),
    delayMs: 5,
    since,
  });
  const handled = (n: number) => {
    seen.add(`$e${n}`);
    gaps.noteHandled(ROOM, `$e${n}` as EventId, 1_000 + n);
  };
  return { gaps, recovered, handled };
}

describe("TimelineGaps reading a room's timeline back", () => {
  it("handles what the homeserver skipped before the newest handled event, nothing newer, nothing twice", async () => {
    const timeline = [event(1), event(2), event(3), event(4, "@bridge_carol:hs.test"), event(5), event(6)];
    const { recovered, handled } = setUp(timeline, new Set());
    handled(1);
    handled(3);
    handled(5);
    await sleep(30);
    // 2 was never delivered; 4 is the bridge's own; 6 is newer than anything handled, so may still be on its way.
    assert.deepEqual(recovered, ["$e2"]);
  });

  it("does not read back further than the start, nor what an earlier check covered", async () => {
    const timeline = [event(1), event(2), event(3), event(4), event(5)];
    const seen = new Set<string>();
    const { recovered, handled } = setUp(timeline, seen, 1_003);
    handled(3);
    await sleep(30);
    assert.deepEqual(recovered, [], "1 and 2 predate the start: the previous run's inbox had them");
    handled(5);
    await sleep(30);
    assert.deepEqual(recovered, ["$e4"]);
  });
});
