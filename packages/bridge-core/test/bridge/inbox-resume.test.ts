import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resumeOrder } from "../../src/bridge/inbox-resume.ts";
import type { TransactionId } from "../../src/ids.ts";
import type { InboxEntry } from "../../src/store/store.ts";

const entry = (seq: number, room: string): InboxEntry => ({
  seq,
  txnId: "t" as TransactionId,
  kind: "timeline",
  event: { type: "m.room.message", room_id: room },
  receivedAt: 0,
});

describe("resumeOrder", () => {
  it("hands each entry once, by arrival, and marks only each room's first entry left from before the start", () => {
    const listed = [entry(1, "!a"), entry(2, "!b"), entry(3, "!a"), entry(5, "!c")];
    // 5 was accepted during the start and is in the listing too; 6 and 7 came after the listing was read.
    const held = [entry(5, "!c"), entry(6, "!d"), entry(7, "!a")];
    const order = resumeOrder(listed, held);
    assert.deepEqual(
      order.map((e) => [e.seq, e.resumed === true]),
      [
        [1, true],
        [2, true],
        [3, false],
        [5, false],
        [6, false],
        [7, false],
      ],
    );
  });
});
