import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import { loadEngine } from "../../src/crypto/crypto-device.ts";
import {
  deleteDatabases,
  type IdbFactory,
  restoreDatabases,
  saveDatabases,
} from "../../src/crypto/indexeddb-snapshot.ts";

const factory = (globalThis as unknown as { indexedDB: IdbFactory }).indexedDB;

/** Opens (making it at `version` if new) a database with one store, for the plain round trip. */
function openWith(name: string, fill: (db: IDBLike) => void): Promise<IDBLike> {
  return new Promise((resolve, reject) => {
    const req = (
      globalThis as unknown as { indexedDB: { open(n: string, v: number): IDBOpenLike } }
    ).indexedDB.open(name, 3);
    req.onupgradeneeded = () => fill(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
interface IDBLike {
  createObjectStore(
    name: string,
    options: { keyPath?: string; autoIncrement?: boolean },
  ): {
    put(value: unknown, key?: unknown): void;
    createIndex(name: string, keyPath: string, options: { unique: boolean }): void;
  };
  transaction(
    name: string,
    mode: "readonly",
  ): {
    objectStore(name: string): { getAll(): { result: unknown[]; onsuccess: (() => void) | null } };
  };
  close(): void;
}
interface IDBOpenLike {
  result: IDBLike;
  error: unknown;
  onupgradeneeded: (() => void) | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
const all = (db: IDBLike, store: string) =>
  new Promise<unknown[]>((resolve) => {
    const req = db.transaction(store, "readonly").objectStore(store).getAll();
    req.onsuccess = () => resolve(req.result);
  });

describe("IndexedDB snapshots", () => {
  it("restores databases with their version, stores, indexes, keys and values, and only those of the prefix", async () => {
    const db = await openWith("snap-a::one", (up) => {
      const keyed = up.createObjectStore("keyed", { keyPath: "id" });
      keyed.createIndex("by-name", "name", { unique: true });
      keyed.put({ id: 1, name: "alice", bytes: new Uint8Array([1, 2, 3]) });
      const loose = up.createObjectStore("loose", {});
      loose.put(new Map([["k", "v"]]), "the key");
    });
    db.close();
    (await openWith("other::two", (up) => up.createObjectStore("x", {}).put("y", "z"))).close();
    const saved = await saveDatabases(factory, "snap-a");
    await deleteDatabases(factory, "snap-a");
    assert.deepEqual(
      (await factory.databases()).map((d) => d.name).filter((n) => n?.startsWith("snap-a")),
      [],
    );
    assert.ok(
      (await factory.databases()).some((d) => d.name === "other::two"),
      "another prefix is left alone",
    );
    await restoreDatabases(factory, saved);
    const names = (await factory.databases()).map((d) => `${d.name}@${d.version}`);
    assert.ok(names.includes("snap-a::one@3"), names.join());
    const back = await openWith("snap-a::one", () => assert.fail("the restored database needs no upgrade"));
    assert.deepEqual(await all(back, "keyed"), [{ id: 1, name: "alice", bytes: new Uint8Array([1, 2, 3]) }]);
    assert.deepEqual(await all(back, "loose"), [new Map([["k", "v"]])]);
    back.close();
  });

  it("brings an OlmMachine back with the same identity, which the wrong passphrase cannot open", async () => {
    await loadEngine();
    const open = (passphrase: string) =>
      sdk.OlmMachine.initialize(
        new sdk.UserId("@bot:example.org"),
        new sdk.DeviceId("SNAPSHOTDEV"),
        "snap-engine",
        passphrase,
      );
    const machine = await open("right passphrase");
    const keys = machine.identityKeys;
    const identity = { ed25519: keys.ed25519.toBase64(), curve25519: keys.curve25519.toBase64() };
    machine.close();
    const saved = await saveDatabases(factory, "snap-engine");
    await deleteDatabases(factory, "snap-engine");

    await restoreDatabases(factory, saved);
    const again = await open("right passphrase");
    assert.deepEqual(
      {
        ed25519: again.identityKeys.ed25519.toBase64(),
        curve25519: again.identityKeys.curve25519.toBase64(),
      },
      identity,
    );
    again.close();
    // The engine encrypts what it stores: the snapshot opens only with the passphrase it was made with. (The failed
    // open keeps its connection, so these databases stay in this process's memory.)
    await assert.rejects(open("wrong passphrase"), /failed to be decrypted/);
  });
});
