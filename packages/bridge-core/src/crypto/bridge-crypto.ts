// End-to-end encryption for the bridge: one encryption device per Matrix user it speaks as in encrypted rooms (the
// bot from the start; a ghost once it is in an encrypted room), fed what transactions bring for them, decrypting the
// room events users send before the pipeline handles them, and encrypting what the bridge sends into encrypted rooms.

import * as sdk from "@matrix-org/matrix-sdk-crypto-wasm";
import { isRoomId, isUserId, type RoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { Intent } from "../matrix/intent.ts";
import type { BridgeStore, InboxEntry, MatrixEventJson } from "../store/store.ts";
import { CryptoDevice } from "./crypto-device.ts";
import { ENCRYPTED_EVENT } from "./encryption-names.ts";
import { RoomEncryption } from "./room-encryption.ts";
import { type GatheredChanges, gatherChanges } from "./sync-changes.ts";

/** How long a room's queue waits for the key of a message that came before its key; keys travel separately. */
const KEY_WAIT_MS = 10_000;

export interface BridgeCryptoOptions {
  client: MatrixClient;
  store: BridgeStore;
  bot: Intent;
  /** Whether a user id is the bot's or a ghost's: those get devices of their own; anyone else sends with the bot's. */
  isBridgeUser(userId: UserId): boolean;
  /** Whether a user is known to be in a room, to pick the device a room's messages were encrypted for. */
  isJoined(roomId: RoomId, userId: UserId): boolean;
  bridgeId: string;
  passphrase: string;
  deviceDisplayName: string;
  logger: Logger;
}

/** Why an event could not be decrypted: the engine's reason, said in the log. */
export class UndecryptableEvent extends Error {}

export class BridgeCrypto {
  readonly rooms: RoomEncryption;
  private readonly options: BridgeCryptoOptions;
  private readonly devices = new Map<UserId, Promise<CryptoDevice>>();
  /** Inbox entries waiting for the engines, and the run that will take them. */
  private waiting: { entry: InboxEntry; done: () => void; failed: (err: unknown) => void }[] = [];
  private intake: Promise<void> = Promise.resolve();
  /** Told after every intake, so a decryption waiting for its key tries again. */
  private keyWaiters = new Set<() => void>();
  /** Shown what each intake brought (the start-up probe of the homeserver's settings watches for its own event). */
  private readonly watchers = new Set<(gathered: GatheredChanges) => void>();

  constructor(options: BridgeCryptoOptions) {
    this.options = options;
    this.rooms = new RoomEncryption(options.logger);
  }

  /** Opens the bot's device (made on the first start) and every device made before, before anything is fed to them. */
  async start(): Promise<void> {
    await this.deviceFor(this.options.bot.userId);
    for (const userId of await this.options.store.listCryptoDevices()) await this.deviceFor(userId);
  }

  /** The device of `userId` (the bot or a ghost), made on first use. */
  deviceFor(userId: UserId): Promise<CryptoDevice> {
    let device = this.devices.get(userId);
    if (device === undefined) {
      const { client, store, bridgeId, passphrase, deviceDisplayName, logger } = this.options;
      device = CryptoDevice.open({
        client,
        store,
        userId,
        databasePrefix: `${bridgeId}:`,
        passphrase,
        displayName: deviceDisplayName,
        logger,
      });
      this.devices.set(userId, device);
      device.catch(() => this.devices.delete(userId));
    }
    return device;
  }

  /**
   * Hands a to-device or device-changes entry to the engines. Resolves once it is processed and the engines' state
   * saved, so that the caller may mark it done. Entries arriving together are given to each engine in one go.
   */
  receive(entry: InboxEntry): Promise<void> {
    return new Promise((done, failed) => {
      this.waiting.push({ entry, done, failed });
      if (this.waiting.length === 1) this.intake = this.intake.then(() => this.takeWaiting());
    });
  }

  private async takeWaiting(): Promise<void> {
    const taken = this.waiting;
    this.waiting = [];
    try {
      const gathered = gatherChanges(taken.map((t) => t.entry.event));
      for (const watcher of this.watchers) watcher(gathered);
      const changed = [...gathered.changed];
      const left = [...gathered.left];
      const recipients = new Set([...this.devices.keys(), ...[...gathered.devices.keys()].filter(isUserId)]);
      for (const userId of recipients) {
        // Only users the bridge made devices for: to-device events for a ghost without one have nowhere to go.
        if (!this.devices.has(userId)) continue;
        const device = await this.deviceFor(userId);
        const batch = gathered.devices.get(userId)?.get(device.deviceId);
        if (batch === undefined && changed.length === 0 && left.length === 0) continue;
        await device.run((machine) =>
          machine.receiveSyncChanges(
            JSON.stringify(batch?.toDevice ?? []),
            new sdk.DeviceLists(
              changed.map((u) => new sdk.UserId(u)),
              left.map((u) => new sdk.UserId(u)),
            ),
            batch?.oneTimeKeyCounts ?? new Map(),
            batch?.unusedFallbackKeyTypes,
          ),
        );
      }
      for (const t of taken) t.done();
    } catch (err) {
      for (const t of taken) t.failed(err);
    } finally {
      const waiters = this.keyWaiters;
      this.keyWaiters = new Set();
      for (const wake of waiters) wake();
    }
  }

  /** Calls `watcher` with what every intake brings, until the returned function is called. */
  watch(watcher: (gathered: GatheredChanges) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * The entry with its event as the sender wrote it when it came encrypted (else as it is); null when it could not be
   * decrypted, which is said in the log (the key never came, or was withheld).
   */
  async readable(entry: InboxEntry): Promise<InboxEntry | null> {
    const roomId = entry.event["room_id"];
    if (entry.kind !== "timeline" || entry.event.type !== ENCRYPTED_EVENT || !isRoomId(roomId)) return entry;
    try {
      return { ...entry, event: await this.decrypt(entry.event, roomId) };
    } catch (err) {
      if (!(err instanceof UndecryptableEvent)) throw err;
      this.options.logger.warn("could not decrypt an event; it is not bridged", {
        roomId,
        eventId: entry.event["event_id"],
        sender: entry.event["sender"],
        reason: err.message,
      });
      return null;
    }
  }

  /**
   * The event as its sender wrote it. The room key may come after the message (they travel separately), so the
   * room's queue waits for a while for it, each time an intake ends; throws UndecryptableEvent when it never came.
   */
  async decrypt(event: MatrixEventJson, roomId: RoomId): Promise<MatrixEventJson> {
    const deadline = Date.now() + KEY_WAIT_MS;
    for (;;) {
      // What arrived before this event (its key, most often) is in the engines first.
      await this.intake;
      const outcome = await this.tryDecrypt(event, roomId);
      if (!(outcome instanceof sdk.MegolmDecryptionError)) return outcome;
      const waitable =
        outcome.code === sdk.DecryptionErrorCode.MissingRoomKey ||
        outcome.code === sdk.DecryptionErrorCode.UnknownMessageIndex;
      const left = deadline - Date.now();
      if (!waitable || left <= 0) throw new UndecryptableEvent(outcome.description);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.keyWaiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async tryDecrypt(
    event: MatrixEventJson,
    roomId: RoomId,
  ): Promise<MatrixEventJson | sdk.MegolmDecryptionError> {
    const settings = new sdk.DecryptionSettings(sdk.TrustRequirement.Untrusted);
    let failure: sdk.MegolmDecryptionError | undefined;
    // The bot is in every room the bridge reads but a private chat; there, the ghost's device had the key.
    const users = [...this.devices.keys()].sort(
      (a, b) => Number(b === this.options.bot.userId) - Number(a === this.options.bot.userId),
    );
    const inRoom = users.filter((u) => this.options.isJoined(roomId, u));
    for (const userId of inRoom.length > 0 ? inRoom : users) {
      const device = await this.deviceFor(userId);
      try {
        const decrypted = await device.machine.decryptRoomEvent(
          JSON.stringify(event),
          new sdk.RoomId(roomId),
          settings,
        );
        const clear = JSON.parse(decrypted.event) as MatrixEventJson;
        return { ...event, type: clear.type, content: clear["content"] };
      } catch (err) {
        if (!(err instanceof sdk.MegolmDecryptionError)) throw err;
        failure = err;
      }
    }
    return failure ?? sdk.MegolmDecryptionError.unable_to_decrypt("the bridge has no device in this room");
  }

  /**
   * What `as` sends into `roomId`: encrypted for the devices of the room's members when the room is encrypted, as
   * it is otherwise. The room key is shared with every member's devices first (those that have it already are
   * skipped by the engine), after asking the homeserver about devices the engine does not know yet.
   */
  async seal(
    as: Intent,
    roomId: RoomId,
    type: string,
    content: Record<string, unknown>,
  ): Promise<{ type: string; content: Record<string, unknown> }> {
    if (!(await this.rooms.isEncrypted(roomId, as))) return { type, content };
    const owner = this.options.isBridgeUser(as.userId) ? as.userId : this.options.bot.userId;
    const device = await this.deviceFor(owner);
    const members = (await as.currentMembers(roomId)).map((u) => new sdk.UserId(u));
    const encrypted = await device.run(async (machine) => {
      await machine.updateTrackedUsers(members.map((u) => u.clone()));
      // The engine asks for the new users' devices among its outgoing requests; they must be known before sharing.
      for (const request of await machine.outgoingRequests())
        if (request instanceof sdk.KeysQueryRequest) await device.send(request);
      const claim = await machine.getMissingSessions(members.map((u) => u.clone()));
      if (claim !== null) await device.send(claim);
      const settings = new sdk.EncryptionSettings();
      for (const request of await machine.shareRoomKey(new sdk.RoomId(roomId), members, settings))
        await device.send(request);
      return machine.encryptRoomEvent(new sdk.RoomId(roomId), type, JSON.stringify(content));
    });
    return { type: ENCRYPTED_EVENT, content: JSON.parse(encrypted) as Record<string, unknown> };
  }

  /** Lets the engines go once what was handed to them is done; their saved state is what the next start opens. */
  async close(): Promise<void> {
    await this.intake;
    for (const device of this.devices.values()) await (await device.catch(() => null))?.close();
    this.devices.clear();
  }
}
