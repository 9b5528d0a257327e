// The store the config names: LevelDB in a folder (the default) or a PostgreSQL database. The PostgreSQL store (and
// with it `pg`) is loaded only when it is the one configured, so a LevelDB bridge does not carry it in memory.

import type { StoreConfig } from "../config/store-config.ts";
import { LevelStore } from "./level-store.ts";
import type { StoreLog } from "./schema-version.ts";
import type { BridgeStore } from "./store.ts";

export async function openStore(config: StoreConfig, log?: StoreLog): Promise<BridgeStore> {
  const { path, sync, keyFile, postgres } = config;
  if (config.type === "postgres" && postgres !== undefined) {
    const { PgStore } = await import("./pg-store.ts");
    return PgStore.open({ ...postgres, keyFile, ...(log !== undefined && { log }) });
  }
  return LevelStore.open({ path, sync, keyFile, ...(log !== undefined && { log }) });
}
