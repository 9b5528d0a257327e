// `matrix-bridge migrate-store --from <leveldb folder> --to postgres://…`: moves a bridge's data from its LevelDB
// store into an empty PostgreSQL database and checks that every kind of record arrived in full. Run it with the
// bridge stopped. The LevelDB folder is only read (after being brought to the current schema, as a start would), so
// going back is starting the bridge on it again.

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { LevelStore } from "../store/level-store.ts";
import { PG_DEFAULTS } from "../store/pg-defaults.ts";
import type { PgPool } from "../store/pg-pool.ts";
import { migratePg, pgSchemaVersion } from "../store/pg-schema.ts";
import { defaultKeyFile, SecretVault } from "../store/secret-vault.ts";
import { COPIED, type CopiedKind, copyLevelToPg, countPg } from "../store/store-copy.ts";
import { CliUsageError } from "./args.ts";

export const MIGRATE_USAGE = [
  "Usage:",
  "  matrix-bridge migrate-store --from LEVELDB_FOLDER --to postgres://USER:PASSWORD@HOST:PORT/DATABASE [--key-file PATH]",
  "",
  "Copies everything the bridge keeps from its LevelDB store (store.path) into an empty PostgreSQL database and",
  "checks the counts. Stop the bridge first. --key-file: the key that sealed the store's credentials",
  "(store.key_file; default: <LEVELDB_FOLDER>.secrets.key); the bridge on PostgreSQL needs the same file.",
].join("\n");

/** A migration that cannot go on; its message is the whole story for the admin. */
export class MigrateStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrateStoreError";
  }
}

interface MigrateArgs {
  from: string;
  to: string;
  keyFile: string;
}

export function parseMigrateArgs(argv: string[]): MigrateArgs | "help" {
  let values: { from?: string; to?: string; "key-file"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        "key-file": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new CliUsageError((e as Error).message, MIGRATE_USAGE);
  }
  if (values.help) return "help";
  const { from, to } = values;
  if (!from) throw new CliUsageError("--from needs the LevelDB store's folder", MIGRATE_USAGE);
  if (!to || !/^postgres(ql)?:\/\/./.test(to))
    throw new CliUsageError("--to needs a postgres:// URL of an empty database", MIGRATE_USAGE);
  return { from, to, keyFile: values["key-file"] ?? defaultKeyFile(from) };
}

export async function migrateStore(args: MigrateArgs, say: (line: string) => void): Promise<void> {
  if (!existsSync(args.from)) throw new MigrateStoreError(`${args.from}: no LevelDB store there`);
  // Never made here: a new key would open none of the credentials the store holds.
  if (SecretVault.open(args.keyFile, { create: false }) === null)
    throw new MigrateStoreError(
      `${args.keyFile}: no key file; give the one that sealed this store's credentials with --key-file`,
    );
  // Loaded here, not at the top: the command line that runs the bridge imports this file too.
  const { PgPool, withoutPassword } = await import("../store/pg-pool.ts");
  const pool = new PgPool({ url: args.to, ...PG_DEFAULTS, log: (message) => say(message) });
  const where = withoutPassword(args.to);
  try {
    if ((await pgSchemaVersion(pool)) > 0 && (await hasRows(pool)))
      throw new MigrateStoreError(`${where} already holds a bridge's data; migrate into an empty database`);
    // Opening brings the folder to the current layout and seals what older versions kept readable, as a start does.
    const level = await LevelStore.open({ path: args.from, sync: true, keyFile: args.keyFile, log: say });
    try {
      await migratePg(pool, where);
      say(`copying ${args.from} into ${where}`);
      const source = await copyLevelToPg(level.database, pool);
      const copied = await countPg(pool);
      const wrong = (Object.keys(COPIED) as CopiedKind[]).filter((kind) => source[kind] !== copied[kind]);
      for (const kind of Object.keys(COPIED) as CopiedKind[])
        say(`  ${kind}: ${source[kind]} in LevelDB, ${copied[kind]} in PostgreSQL`);
      if (wrong.length > 0) throw new MigrateStoreError(`the counts differ for ${wrong.join(", ")}`);
    } finally {
      await level.close();
    }
  } finally {
    await pool.end();
  }
  say(
    [
      "Every count matches. Now, in the bridge's config:",
      "  store:",
      "    type: postgres",
      `    url: ${where}   (with its password)`,
      `    key_file: ${args.keyFile}`,
      "(remove store.path), and start the bridge. Keep the LevelDB folder until the bridge runs well on PostgreSQL.",
    ].join("\n"),
  );
}

async function hasRows(pool: PgPool): Promise<boolean> {
  const counts = await countPg(pool);
  return Object.values(counts).some((n) => n > 0);
}
