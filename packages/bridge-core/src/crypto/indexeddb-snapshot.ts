// The crypto engine (matrix-sdk-crypto-wasm) keeps its state only in IndexedDB, which Node lacks. The bridge gives it
// fake-indexeddb (a complete IndexedDB in memory) and makes that memory durable by copying the engine's databases
// into the bridge's own store: restored before the engine opens them at start, saved after every change that must
// survive a crash (see crypto-device.ts). A snapshot is the whole set of one engine's databases, serialised with v8's
// structured clone (IndexedDB's own value model: typed arrays, maps, dates). The engine encrypts what it stores with
// its store passphrase, so a snapshot holds no key in the clear.
//
// The project's TypeScript has no DOM library, so the few IndexedDB shapes used here are declared below.

import { deserialize, serialize } from "node:v8";

type KeyPath = string | string[];

interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

interface IdbIndex {
  keyPath: KeyPath;
  unique: boolean;
  multiEntry: boolean;
}

interface IdbObjectStore {
  keyPath: KeyPath | null;
  autoIncrement: boolean;
  indexNames: Iterable<string>;
  index(name: string): IdbIndex;
  createIndex(name: string, keyPath: KeyPath, options: { unique: boolean; multiEntry: boolean }): IdbIndex;
  getAll(): IdbRequest<unknown[]>;
  getAllKeys(): IdbRequest<unknown[]>;
  put(value: unknown, key?: unknown): IdbRequest<unknown>;
}

interface IdbDatabase {
  objectStoreNames: Iterable<string>;
  transaction(names: string, mode: "readonly"): { objectStore(name: string): IdbObjectStore };
  createObjectStore(name: string, options: { keyPath?: KeyPath; autoIncrement: boolean }): IdbObjectStore;
  close(): void;
}

/** The part of IndexedDB's factory (`globalThis.indexedDB`) the snapshots use. */
export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest;
  deleteDatabase(name: string): IdbRequest<unknown> & { onblocked: (() => void) | null };
  databases(): Promise<{ name?: string; version?: number }[]>;
}

interface StoreSnapshot {
  name: string;
  keyPath: KeyPath | null;
  autoIncrement: boolean;
  indexes: { name: string; keyPath: KeyPath; unique: boolean; multiEntry: boolean }[];
  records: [unknown, unknown][];
}

interface DatabaseSnapshot {
  name: string;
  version: number;
  stores: StoreSnapshot[];
}

function settled<T>(req: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase(
  factory: IdbFactory,
  name: string,
  version?: number,
  upgrade?: (db: IdbDatabase) => void,
): Promise<IdbDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function snapshotStore(db: IdbDatabase, storeName: string): Promise<StoreSnapshot> {
  const store = db.transaction(storeName, "readonly").objectStore(storeName);
  const indexes = [...store.indexNames].map((indexName) => {
    const index = store.index(indexName);
    return { name: indexName, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
  });
  // Keys and values read in one transaction, so they pair up even while the engine writes.
  const [keys, values] = await Promise.all([settled(store.getAllKeys()), settled(store.getAll())]);
  return {
    name: storeName,
    keyPath: store.keyPath,
    autoIncrement: store.autoIncrement,
    indexes,
    records: keys.map((key, i) => [key, values[i]]),
  };
}

async function namesWithPrefix(
  factory: IdbFactory,
  prefix: string,
): Promise<{ name: string; version: number }[]> {
  const found: { name: string; version: number }[] = [];
  for (const { name, version } of await factory.databases()) {
    if (name !== undefined && version !== undefined && name.startsWith(prefix)) found.push({ name, version });
  }
  return found;
}

/** Every database whose name starts with `prefix`, as bytes. */
export async function saveDatabases(factory: IdbFactory, prefix: string): Promise<Uint8Array> {
  const snapshots: DatabaseSnapshot[] = [];
  for (const { name, version } of await namesWithPrefix(factory, prefix)) {
    const db = await openDatabase(factory, name);
    try {
      const stores: StoreSnapshot[] = [];
      for (const storeName of db.objectStoreNames) stores.push(await snapshotStore(db, storeName));
      snapshots.push({ name, version, stores });
    } finally {
      db.close();
    }
  }
  return serialize(snapshots);
}

/** Recreates the databases `saveDatabases` saved, before anything opens them. */
export async function restoreDatabases(factory: IdbFactory, saved: Uint8Array): Promise<void> {
  for (const snapshot of deserialize(saved) as DatabaseSnapshot[]) {
    const db = await openDatabase(factory, snapshot.name, snapshot.version, (upgrading) => {
      for (const s of snapshot.stores) {
        const store = upgrading.createObjectStore(s.name, {
          ...(s.keyPath !== null && { keyPath: s.keyPath }),
          autoIncrement: s.autoIncrement,
        });
        for (const index of s.indexes)
          store.createIndex(index.name, index.keyPath, {
            unique: index.unique,
            multiEntry: index.multiEntry,
          });
        for (const [key, value] of s.records) {
          if (s.keyPath === null) store.put(value, key);
          else store.put(value);
        }
      }
    });
    db.close();
  }
}

/**
 * Removes every database whose name starts with `prefix`: before a restore (what the memory holds must be exactly
 * the snapshot, also when a bridge is started again in the same process), and when an engine is closed.
 */
export async function deleteDatabases(factory: IdbFactory, prefix: string): Promise<void> {
  for (const { name } of await namesWithPrefix(factory, prefix)) await settled(factory.deleteDatabase(name));
}
