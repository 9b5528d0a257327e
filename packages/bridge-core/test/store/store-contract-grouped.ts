// Part of the store contract (store-contract.ts): the writes every handled event makes, its mapping and its inbox
// entry marked handled, which a store may gather and write together (write-group.ts). However they are written, each
// promise resolves only once its write is done, the later of two writes of one mapping wins, and closing waits.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEventId, parseRoomId, remoteMessageId, remoteRoomId, transactionId } from "../../src/ids.ts";
import type { BridgeStore, EventLink, InboxEntry, NewInboxItem } from "../../src/store/store.ts";

/** The contract's store, as these tests drive it. */
export interface ContractStore {
  current(): BridgeStore;
  /** Closes the store and opens it again, as a restart does. */
  reopen(): Promise<void>;
  /** Closes the store while `pending` writes are under way, waits for them, then opens it again. */
  closeThenOpen(pending: Promise<unknown>[]): Promise<void>;
}

const event = (id: string): NewInboxItem => ({
  kind: "timeline",
  event: {
    type: "m.room.message",
    room_id: "!room:example.org",
    event_id: `$${id}`,
    content: { msgtype: "m.text", body: id },
  },
});
const bodies = (entries: InboxEntry[]) =>
  entries.map((e) => (e.event["content"] as { body?: string } | undefined)?.body);
const linkOf = (i: number): EventLink => ({
  roomId: parseRoomId("!room:example.org"),
  eventId: parseEventId(`$e${i}`),
  remoteRoomId: remoteRoomId("a"),
  remoteMessageId: remoteMessageId(`m${i}`),
});

export function describeGroupedWrites(under: ContractStore): void {
  async function accept(count: number): Promise<InboxEntry[]> {
    const items = Array.from({ length: count }, (_, i) => event(`e${i}`));
    const accepted = await under.current().acceptTransaction(transactionId("t1"), items);
    assert.ok(accepted, "accepted, not taken for a replay");
    return accepted.entries;
  }

  describe("mappings and completions asked for together", () => {
    it("keeps each, and shows each as soon as its promise resolves", async () => {
      const entries = await accept(5);
      const links = entries.map((_, i) => linkOf(i));
      await Promise.all(
        links.map(async (link, i) => {
          const store = under.current();
          await store.putEventLink(link);
          assert.deepEqual(await store.getEventLinkByMatrix(link.roomId, link.eventId), link);
          if (i % 2 === 0) await store.completeInbox(entries[i]?.seq ?? -1);
        }),
      );
      await under.reopen();
      for (const link of links) {
        const found = await under.current().getEventLinkByRemote(link.remoteRoomId, link.remoteMessageId);
        assert.deepEqual(found, link);
      }
      assert.deepEqual(bodies(await under.current().pendingInbox()), ["e1", "e3"]);
    });

    it("keeps the later of two mappings of one event asked for in the same turn", async () => {
      const first = linkOf(1);
      const later = { ...first, remoteMessageId: remoteMessageId("later") };
      await Promise.all([under.current().putEventLink(first), under.current().putEventLink(later)]);
      assert.deepEqual(await under.current().getEventLinkByMatrix(first.roomId, first.eventId), later);
      await under.reopen();
      assert.deepEqual(await under.current().getEventLinkByMatrix(first.roomId, first.eventId), later);
    });

    it("are all written before the store closes", async () => {
      const [entry] = await accept(2);
      const store = under.current();
      await under.closeThenOpen([store.putEventLink(linkOf(0)), store.completeInbox(entry?.seq ?? -1)]);
      const link = linkOf(0);
      assert.deepEqual(await under.current().getEventLinkByMatrix(link.roomId, link.eventId), link);
      assert.deepEqual(bodies(await under.current().pendingInbox()), ["e1"]);
    });
  });
}
