// One Matrix user's end-to-end encryption device (the bot's, or a ghost's): a crypto engine (OlmMachine) whose state
// lives in the engine's IndexedDB databases, in memory, and is saved into the bridge's store as a snapshot. The device
// is made once through MSC4190 (an application service creates its users' devices without logging in) and its id kept
// with the snapshot, so after a restart the same device goes on with the same keys and sessions.
//
// Everything done with the engine runs one piece at a time, each followed by sending what the engine asked for and
// saving the snapshot: so what is saved always includes what the homeserver was told, and nothing half-done is saved.

import "fake-indexeddb/auto";
import { randomBytes } from "node:crypto";
import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { type MatrixClient, matrixPath } from "../matrix/client.ts";
import { isMatrixError } from "../matrix/errors.ts";
import type { BridgeStore } from "../store/store.ts";
import { EncryptionSetupError } from "./encryption-names.ts";
import { deleteDatabases, type IdbFactory, restoreDatabases, saveDatabases } from "./indexeddb-snapshot.ts";
import { type EngineRequest, sendEngineRequest } from "./outgoing-requests.ts";

/** The IndexedDB that `fake-indexeddb/auto` put where the engine looks for it. */
const indexedDb = (globalThis as unknown as { indexedDB: IdbFactory }).indexedDB;

let engineLoaded: Promise<void> | undefined;
/** Loads the engine's WebAssembly once per process. */
export function loadEngine(): Promise<void> {
  engineLoaded ??= sdk.initAsync();
  return engineLoaded;
}

export interface CryptoDeviceOptions {
  client: MatrixClient;
  store: BridgeStore;
  userId: UserId;
  /** Names this bridge's databases, so that bridges in one process never share one. */
  databasePrefix: string;
  /** Encrypts what the engine stores (and so the snapshot); derived from the store's key. */
  passphrase: string;
  /** Shown to users in their clients' device lists. */
  displayName: string;
  logger: Logger;
}

/** A device id as homeservers make them: ten capital letters. */
function newDeviceId(): string {
  return Array.from(randomBytes(10), (byte) => String.fromCharCode(65 + (byte % 26))).join("");
}

export class CryptoDevice {
  readonly userId: UserId;
  readonly deviceId: string;
  readonly machine: sdk.OlmMachine;
  private readonly options: CryptoDeviceOptions;
  private readonly databaseName: string;
  /** The engine's work, one piece at a time. */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(options: CryptoDeviceOptions, deviceId: string, machine: sdk.OlmMachine, name: string) {
    this.options = options;
    this.userId = options.userId;
    this.deviceId = deviceId;
    this.machine = machine;
    this.databaseName = name;
  }

  /** The user's device as saved, or a new one made on the homeserver; its keys are uploaded before this resolves. */
  static async open(options: CryptoDeviceOptions): Promise<CryptoDevice> {
    await loadEngine();
    const { store, userId, logger } = options;
    let record = await store.getCryptoDevice(userId);
    if (record === null) {
      // Kept before the homeserver hears of it, so a crash in between cannot leave a device nobody knows the id of.
      record = { deviceId: newDeviceId() };
      await store.putCryptoDevice(userId, record);
    }
    // No snapshot: no keys were uploaded yet (the snapshot is saved first), so making the device again is harmless.
    if (record.snapshot === undefined) await createDevice(options, record.deviceId);
    const name = `${options.databasePrefix}${userId}`;
    await deleteDatabases(indexedDb, name);
    if (record.snapshot !== undefined) await restoreDatabases(indexedDb, record.snapshot);
    const machine = await sdk.OlmMachine.initialize(
      new sdk.UserId(userId),
      new sdk.DeviceId(record.deviceId),
      name,
      options.passphrase,
    );
    const device = new CryptoDevice(options, record.deviceId, machine, name);
    logger.info(record.snapshot === undefined ? "encryption device made" : "encryption device restored", {
      userId,
      deviceId: record.deviceId,
    });
    // Device lists that changed while the bridge was away were not seen: ask again about every user followed.
    if (record.snapshot !== undefined) await device.run((m) => m.markAllTrackedUsersAsDirty());
    else await device.run(async () => undefined);
    return device;
  }

  /**
   * Runs `work` with the engine in this device's turn, then sends what the engine asks for and saves the snapshot
   * (also when `work` failed: the engine may have changed before it did).
   */
  run<T>(work: (machine: sdk.OlmMachine) => Promise<T>): Promise<T> {
    const result = this.turn.then(async () => {
      try {
        return await work(this.machine);
      } finally {
        try {
          await this.sendOutgoing();
        } finally {
          await this.save();
        }
      }
    });
    this.turn = result.catch(() => undefined);
    return result;
  }

  /**
   * Sends one request the engine handed out (a key claim, room keys to share), inside a `run`. A key upload is sent
   * only after the snapshot holding those keys is saved: keys the homeserver has must never be lost by a crash.
   */
  async send(request: EngineRequest): Promise<void> {
    if (request instanceof sdk.KeysUploadRequest) await this.save();
    await sendEngineRequest(this.options.client, this.machine, this.userId, this.deviceId, request);
  }

  /** Whatever the engine asks for on its own: key uploads, key queries, answers to key requests. */
  private async sendOutgoing(): Promise<void> {
    // An answer can make the engine ask for more (a key query after an upload); the loop ends when it asks for none.
    for (;;) {
      const requests = (await this.machine.outgoingRequests()) as EngineRequest[];
      if (requests.length === 0) return;
      for (const request of requests) await this.send(request);
    }
  }

  private async save(): Promise<void> {
    const snapshot = await saveDatabases(indexedDb, this.databaseName);
    await this.options.store.putCryptoDevice(this.userId, { deviceId: this.deviceId, snapshot });
  }

  /** Lets the engine go and clears its databases from memory; the snapshot in the store is what remains. */
  async close(): Promise<void> {
    await this.turn;
    this.machine.close();
    await deleteDatabases(indexedDb, this.databaseName);
  }
}

/** MSC4190: the application service makes the device itself, with no login and no interactive authentication. */
async function createDevice(options: CryptoDeviceOptions, deviceId: string): Promise<void> {
  try {
    await options.client.request("PUT", matrixPath`/_matrix/client/v3/devices/${deviceId}`, {
      body: { display_name: options.displayName },
      asUser: options.userId,
    });
  } catch (err) {
    if (!isMatrixError(err)) throw err;
    throw new EncryptionSetupError(
      `the homeserver refused to make an encryption device for ${options.userId} (${err.message}); ` +
        "end-to-end encryption needs MSC4190: set `io.element.msc4190: true` in the registration file the " +
        "homeserver loads (matrix-bridge -r writes it when encryption.allow is true)",
    );
  }
}
