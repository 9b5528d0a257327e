// Both stores record which layout their data is in, as a number, and bring older data up to date at start-up, one
// numbered step at a time. A bridge never opens a store newer than it understands: it could not read what a later
// version wrote, and writing its own older records beside them would corrupt the store for the newer bridge too.

/** What a store reports while migrating; the bridge passes its logger's `warn`. */
export type StoreLog = (message: string, fields?: Record<string, unknown>) => void;

export class StoreVersionError extends Error {
  constructor(where: string, found: number, understood: number) {
    super(
      `${where} is at store schema version ${found}, but this bridge understands versions up to ${understood}: ` +
        "it was written by a newer bridge. Run that version (or a newer one), or restore the backup taken before the upgrade",
    );
    this.name = "StoreVersionError";
  }
}

/** The line logged before any migration runs: a migrated store cannot be opened by the older bridge again. */
export function logBeforeMigrating(log: StoreLog | undefined, where: string, from: number, to: number): void {
  log?.(
    `migrating the store's schema from version ${from} to ${to}; a migrated store cannot be opened by an older ` +
      "bridge again, so keep a backup of it from before this start (stop the bridge, copy it), to go back",
    { store: where, from, to },
  );
}
