import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Level } from "level";
import { parseUserId, remoteUserId } from "../../src/ids.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import { defaultKeyFile } from "../../src/store/secret-vault.ts";

const ALICE = parseUserId("@alice:example.org");
const PASSWORD = '  xmpp pass  word "with" \\ and é ';

let dir: string;
let path: string;
let store: LevelStore | null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bridge-sealed-"));
  path = join(dir, "db");
  store = null;
});

afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every file of the database, as text: where a value would still be found on disk. */
const onDisk = () =>
  readdirSync(path)
    .map((name) => readFileSync(join(path, name)).toString("latin1"))
    .join("\n");

const open = async (keyFile?: string) => {
  await store?.close();
  store = await LevelStore.open({ path, sync: false, ...(keyFile !== undefined && { keyFile }) });
  return store;
};

/** Writes records the way stores before sealing did: readable. */
async function writeReadable(name: string, key: string, value: Record<string, unknown>): Promise<void> {
  const db = new Level<string, Record<string, unknown>>(path, { valueEncoding: "json" });
  await db.sublevel<string, Record<string, unknown>>(name, { valueEncoding: "json" }).put(key, value);
  await db.close();
}

describe("credentials in the level store", () => {
  it("keeps login sessions sealed in its files, and gives them back whole, also after a restart", async () => {
    const s = await open();
    assert.equal(statSync(defaultKeyFile(path)).mode & 0o777, 0o600);
    const login = {
      remoteUserId: remoteUserId("alice@xmpp.example"),
      session: { jid: "a@x", password: PASSWORD },
    };
    await s.putLogin(ALICE, login);
    assert.deepEqual(await s.getLogin(ALICE), login);
    const again = await open();
    assert.deepEqual(await again.getLogin(ALICE), login);
    assert.deepEqual(await again.listLogins(), [{ userId: ALICE, login }]);
    assert.equal(await again.getUserByRemote(login.remoteUserId), ALICE);
    for (const part of ["xmpp pass", "pass  word", "with"]) assert.ok(!onDisk().includes(part), part);
  });

  it("seals the readable sessions an older store kept, and scrubs them from its files", async () => {
    const session = { jid: "a@x", password: PASSWORD };
    await writeReadable("login", ALICE, { remoteUserId: "alice@xmpp.example", session });
    assert.ok(onDisk().includes("xmpp pass"), "readable before");
    const s = await open();
    assert.deepEqual(await s.getLogin(ALICE), { remoteUserId: "alice@xmpp.example", session });
    assert.ok(!onDisk().includes("xmpp pass"), "sealed and scrubbed at the opening");
  });

  it("leaves out a login sealed with another key: its user logs in again", async () => {
    const s = await open();
    await s.putLogin(ALICE, { remoteUserId: remoteUserId("alice"), session: { password: PASSWORD } });
    const other = await open(join(dir, "other.key"));
    assert.equal(await other.getLogin(ALICE), null);
    assert.deepEqual(await other.listLogins(), []);
    await other.deleteLogin(ALICE);
    assert.equal(await other.getUserByRemote(remoteUserId("alice")), null);
  });

  it("keeps the bridge's own secrets sealed, the same value at every start, older readable ones sealed", async () => {
    await writeReadable("secret", "old", { value: "old-media-key-value" });
    const s = await open();
    const made = await s.bridgeSecret("media-links", () => "new-media-key-value");
    assert.equal(await s.bridgeSecret("media-links", () => "other"), made);
    assert.equal(await s.bridgeSecret("old", () => "replaced"), "old-media-key-value");
    const again = await open();
    assert.equal(await again.bridgeSecret("media-links", () => "other"), "new-media-key-value");
    assert.ok(!onDisk().includes("media-key-value"));
  });

  it("does not open with a key file others can read", async () => {
    const keyFile = join(dir, "open.key");
    await open(keyFile);
    await store?.close();
    store = null;
    chmodSync(keyFile, 0o644);
    await assert.rejects(open(keyFile), /other users; chmod 600/);
    assert.ok(existsSync(keyFile));
  });
});
