// The stores a suite can run the bridge on, like the homeserver and IRC server matrices: LevelDB in the run folder
// (what every suite uses unless told), or PostgreSQL on a cluster of the suite's own (test/harness/postgres.ts).

import { PostgresCluster } from "./postgres.ts";
import type { SuiteRunDir } from "./run-dir.ts";

export type StoreKind = "LevelDB" | "PostgreSQL";
export const STORES: readonly StoreKind[] = ["LevelDB", "PostgreSQL"];

/**
 * The config's `store` section for the kind, for `extraConfig`; none for LevelDB (the harness's default section).
 * For PostgreSQL a cluster is started in the run folder and stopped at the suite's end; call this before starting
 * the bridge, so that the bridge is stopped (its teardown added later runs first) before its database.
 */
export async function storeConfig(
  kind: StoreKind,
  runDir: SuiteRunDir,
  id = "testnet",
  /** Receives the PostgreSQL cluster, for a suite that stops and starts it. */
  onCluster?: (cluster: PostgresCluster) => void,
): Promise<{ store?: Record<string, unknown> }> {
  if (kind === "LevelDB") return {};
  const cluster = await PostgresCluster.start(runDir.path);
  runDir.addTeardown(() => cluster.stop());
  onCluster?.(cluster);
  return {
    store: { type: "postgres", url: await cluster.createDatabase(id), key_file: `./${id}.secrets.key` },
  };
}
