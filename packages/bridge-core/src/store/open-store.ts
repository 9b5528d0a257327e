// The store the config names: LevelDB in a folder (the default) or a PostgreSQL database.

import type { StoreConfig } from "../config/store-config.ts";
import { LevelStore } from "./level-store.ts";
import { PgStore } from "./pg-store.ts";
import type { StoreLog } from "./schema-version.ts";
import type { BridgeStore } from "./store.ts";

export function openStore(config: StoreConfig, log?: StoreLog): Promise<BridgeStore> {
  const { path, sync, keyFile, postgres } = config;
  if (config.type === "postgres" && postgres !== undefined)
    return PgStore.open({ ...postgres, keyFile, ...(log !== undefined && { log }) });
  return LevelStore.open({ path, sync, keyFile, ...(log !== undefined && { log }) });
}
