// The PostgreSQL store's writes for each handled event (its mapping, its inbox entry deleted), gathered per turn of
// the event loop (write-group.ts) into one statement, where each was an autocommitted statement of its own waiting
// for a WAL flush before its room could go on. Committed without waiting for the flush, as the level store writes
// these without fsync: the mapping and the deletion stand or fall together, and all a crash of the database server
// can take back is the last fraction of a second of them, whose events are then handled again at the next start
// (their entries are still in the inbox). Accepting transactions still waits for the flush: acknowledged is on disk.
// The statement turns the flush off for its own transaction (`set_config(…, true)`, read when it commits): one round
// trip, nothing left on the session for the store's other statements, and nothing a connection pooler in front of
// the database must allow (a `SET` on connect, or startup options).

import type { PgPool } from "./pg-pool.ts";
import type { EventLink } from "./store.ts";
import { WriteGroup } from "./write-group.ts";

type HandledWrite = { link: EventLink } | { done: number };

const WRITE = `
  WITH done AS (DELETE FROM inbox WHERE seq = ANY($1::bigint[])),
  links AS (
    INSERT INTO event_links (room_id, event_id, remote_room_id, remote_message_id)
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
    ON CONFLICT (room_id, event_id) DO UPDATE SET remote_room_id = excluded.remote_room_id,
      remote_message_id = excluded.remote_message_id, written = nextval('event_links_written')
  )
  SELECT set_config('synchronous_commit', 'off', true)`;

export class PgHandledWrites {
  private readonly group: WriteGroup<HandledWrite>;

  constructor(db: PgPool) {
    this.group = new WriteGroup(async (writes) => {
      const done: number[] = [];
      // One row per mapped event: an upsert may not touch a row twice in one statement, and the later write wins.
      const links = new Map<string, EventLink>();
      for (const write of writes) {
        if ("done" in write) done.push(write.done);
        else links.set(`${write.link.roomId}\u0000${write.link.eventId}`, write.link);
      }
      const rows = [...links.values()];
      await db.query(WRITE, [
        done,
        rows.map((link) => link.roomId),
        rows.map((link) => link.eventId),
        rows.map((link) => link.remoteRoomId),
        rows.map((link) => link.remoteMessageId),
      ]);
    });
  }

  putEventLink(link: EventLink): Promise<void> {
    return this.group.add({ link });
  }

  completeInbox(seq: number): Promise<void> {
    return this.group.add({ done: seq });
  }

  idle(): Promise<void> {
    return this.group.idle();
  }
}
