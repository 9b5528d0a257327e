// The PostgreSQL store's defaults, apart from the store itself: the config schema and the CLI read them at every
// start, and importing pg-store.ts for them would load `pg` into bridges that keep their data in LevelDB.

export const PG_DEFAULTS = {
  poolSize: 10,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  retryMs: 60_000,
};
