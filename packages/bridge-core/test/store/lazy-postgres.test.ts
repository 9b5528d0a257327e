// A bridge on LevelDB (the default) never loads the PostgreSQL client: `pg` stays out of its memory. Checked in a
// fresh process, since this test runner's own process may have loaded it for other tests.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

/** Opens the store the given config names through `openStore`, then prints whether `pg` was ever loaded. */
const PROBE = `
import { createRequire } from "node:module";
import { openStore } from "bridge-core/bridge";
import "bridge-irc";
const [type, path] = process.argv.slice(1);
const keyFile = path + ".key";
const store = await openStore(
  type === "leveldb"
    ? { type, path, sync: true, keyFile }
    : { type, path: "", sync: true, keyFile, postgres: { url: "postgres://nobody@127.0.0.1:1/none", poolSize: 1,
        connectTimeoutMs: 100, statementTimeoutMs: 100, retryMs: 0 } },
).catch(() => undefined);
await store?.close();
const cache = createRequire(import.meta.url).cache;
console.log(Object.keys(cache).some((file) => file.includes("/node_modules/pg/")) ? "pg loaded" : "pg not loaded");
`;

function probe(type: "leveldb" | "postgres"): string {
  const dir = mkdtempSync(join(tmpdir(), "lazy-postgres-"));
  try {
    return execFileSync(process.execPath, ["--input-type=module", "-e", PROBE, type, join(dir, "store")], {
      cwd: import.meta.dirname,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a LevelDB bridge does not load pg; a PostgreSQL one does", () => {
  assert.equal(probe("leveldb"), "pg not loaded");
  assert.equal(probe("postgres"), "pg loaded");
});
