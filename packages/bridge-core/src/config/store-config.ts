// The `store` section: LevelDB in a folder (the default, nothing to run beside the bridge) or a PostgreSQL database.
// Kept apart from schema.ts because each type needs keys the other forbids, and the errors must still name the key.

import { resolve } from "node:path";
import { z } from "zod";
import { PG_DEFAULTS } from "../store/pg-defaults.ts";
import { defaultKeyFile } from "../store/secret-vault.ts";

export interface PostgresStoreConfig {
  /** postgres://user:password@host:port/database (libpq's options in the query, e.g. sslmode). */
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** How long operations wait for a lost database before they fail. */
  retryMs: number;
}

export interface StoreConfig {
  type: "leveldb" | "postgres";
  /** LevelDB's folder; empty for PostgreSQL. */
  path: string;
  sync: boolean;
  /** The key sealing stored credentials (users' passwords, login sessions). */
  keyFile: string;
  postgres?: PostgresStoreConfig;
}

const nonEmpty = z.string({ error: "expected a non-empty string" }).min(1);
const seconds = z
  .number({ error: "expected a number of seconds" })
  .positive({ error: "must be more than 0" });

export const storeSchema = z
  .strictObject(
    {
      type: z.enum(["leveldb", "postgres"], { error: "expected leveldb or postgres" }).default("leveldb"),
      path: nonEmpty.optional(),
      sync: z.boolean({ error: "expected true or false" }).default(true),
      key_file: nonEmpty.optional(),
      url: z
        .string({ error: "expected a postgres:// URL" })
        .refine((v) => /^postgres(ql)?:\/\/./.test(v), { error: "expected a postgres:// URL" })
        .optional(),
      pool_size: z.int({ error: "expected a positive integer" }).positive().default(PG_DEFAULTS.poolSize),
      connect_timeout_seconds: seconds.default(PG_DEFAULTS.connectTimeoutMs / 1000),
      statement_timeout_seconds: seconds.default(PG_DEFAULTS.statementTimeoutMs / 1000),
      retry_seconds: seconds.default(PG_DEFAULTS.retryMs / 1000),
    },
    { error: "expected a mapping" },
  )
  .superRefine((store, ctx) => {
    const need = (key: "path" | "url" | "key_file", why: string) => {
      if (store[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: why });
    };
    if (store.type === "leveldb") {
      need("path", "required: the folder of the bridge's database");
      if (store.url !== undefined)
        ctx.addIssue({ code: "custom", path: ["url"], message: "only for type: postgres" });
    } else {
      need("url", "required with type: postgres");
      need("key_file", "required with type: postgres: the key that seals stored credentials, kept as a file");
      if (store.path !== undefined)
        ctx.addIssue({ code: "custom", path: ["path"], message: "only for type: leveldb" });
    }
  });

export function toStoreConfig(store: z.infer<typeof storeSchema>, baseDir: string): StoreConfig {
  const path = store.path === undefined ? "" : resolve(baseDir, store.path);
  return {
    type: store.type,
    path,
    sync: store.sync,
    keyFile: resolve(baseDir, store.key_file ?? defaultKeyFile(store.path ?? "")),
    ...(store.type === "postgres" &&
      store.url !== undefined && {
        postgres: {
          url: store.url,
          poolSize: store.pool_size,
          connectTimeoutMs: store.connect_timeout_seconds * 1000,
          statementTimeoutMs: store.statement_timeout_seconds * 1000,
          retryMs: store.retry_seconds * 1000,
        },
      }),
  };
}
