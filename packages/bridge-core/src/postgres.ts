// `bridge-core/postgres`: the PostgreSQL store, for programs that open one themselves (benchmarks, tests). A bridge
// opens it from its config through `openStore`, which loads this only when `store.type` is postgres.

export { PG_DEFAULTS } from "./store/pg-defaults.ts";
export { PgStore } from "./store/pg-store.ts";
