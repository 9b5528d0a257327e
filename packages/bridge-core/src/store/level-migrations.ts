// The level store's schema version, in a record of its own (`!schema!version`), and the steps from older layouts.
// Version 1 is every store written before versions were recorded: it had no `accepted-event` and `inbox-meta`
// sublevels, so it knew events only by the transactions that brought them.

import type { Level } from "level";
import { type Json, makeSublevel } from "./level-keys.ts";
import { logBeforeMigrating, type StoreLog, StoreVersionError } from "./schema-version.ts";

export const LEVEL_SCHEMA_VERSION = 2;
const VERSION_KEY = "version";

type Migration = (db: Level<string, Json>) => Promise<void>;

/** MIGRATIONS[n] brings a store from version n + 1 to n + 2. */
const MIGRATIONS: Migration[] = [
  // 1 → 2: events already waiting in the inbox are recorded as accepted, so that a homeserver retrying the
  // transaction that brought them (under its id, or under another) does not have them handled twice. Those handled
  // before the upgrade are not known by their ids; old transaction records have no digest, so their ids count as
  // reused and the events in them are checked one by one.
  async (db) => {
    const accepted = makeSublevel(db, "accepted-event");
    const ops: { type: "put"; key: string; value: Json }[] = [];
    for await (const entry of makeSublevel(db, "inbox").values()) {
      const id = (entry["event"] as Json | undefined)?.["event_id"];
      const at = typeof entry["receivedAt"] === "number" ? entry["receivedAt"] : Date.now();
      if (typeof id === "string") ops.push({ type: "put", key: id, value: { at } });
    }
    await accepted.batch(ops);
  },
];

/** Reads the store's version, refuses a newer one, and runs the steps to the current version. */
export async function migrateLevel(db: Level<string, Json>, where: string, log?: StoreLog): Promise<void> {
  const schema = makeSublevel(db, "schema");
  const recorded = (await schema.get(VERSION_KEY))?.["version"];
  let version: number;
  if (typeof recorded === "number") version = recorded;
  else version = (await isEmpty(db)) ? LEVEL_SCHEMA_VERSION : 1;
  if (version > LEVEL_SCHEMA_VERSION) throw new StoreVersionError(where, version, LEVEL_SCHEMA_VERSION);
  if (version < LEVEL_SCHEMA_VERSION) logBeforeMigrating(log, where, version, LEVEL_SCHEMA_VERSION);
  for (; version < LEVEL_SCHEMA_VERSION; version++) {
    await MIGRATIONS[version - 1]?.(db);
    // Each step's version is written once it is done, so an interrupted migration resumes at the step it was in.
    await writeVersion(db, version + 1);
  }
  if (recorded === undefined) await writeVersion(db, version);
}

const writeVersion = (db: Level<string, Json>, version: number) =>
  db.batch([{ type: "put", sublevel: makeSublevel(db, "schema"), key: VERSION_KEY, value: { version } }], {
    sync: true,
  });

async function isEmpty(db: Level<string, Json>): Promise<boolean> {
  for await (const _ of db.keys({ limit: 1 })) return false;
  return true;
}
