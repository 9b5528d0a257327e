// A real end-to-end encrypted Matrix client for the suites: matrix-js-sdk with its Rust crypto (the engine Element
// uses), its keys in memory. It logs in as a user registered through the harness (the same access token and device),
// syncs, and shows the room events it decrypted, so a suite talks to the bridge as an Element user in an encrypted
// room does.

import { setTimeout as sleep } from "node:timers/promises";
import {
  ClientEvent,
  createClient,
  type MatrixClient,
  type MatrixEvent,
  MsgType,
  Preset,
  SyncState,
} from "matrix-js-sdk";
import { type Logger, logger as sdkGlobalLogger } from "matrix-js-sdk/lib/logger.js";
import type { TestClient } from "./matrix-test-client.ts";

/** A room event as the client sees it after decryption. */
export interface ClearEvent {
  eventId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
  /** Whether it came encrypted (m.room.encrypted on the wire). */
  encrypted: boolean;
}

const WAIT_MS = 20_000;

/** The SDK logs every sync and key operation, and warns of push rules it adds; a suite's output keeps its errors. */
const quiet: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (...args: unknown[]) => console.error("matrix-js-sdk:", ...args),
  getChild: () => quiet,
};

export class EncryptedClient {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly deviceId: string;

  private constructor(client: MatrixClient, userId: string, deviceId: string) {
    this.client = client;
    this.userId = userId;
    this.deviceId = deviceId;
  }

  /** Starts an encrypting client on `user`'s access token and device, and waits for its first sync. */
  static async start(user: TestClient): Promise<EncryptedClient> {
    // Parts of the SDK log through its global logger, a loglevel logger whose typings leave out setLevel.
    (sdkGlobalLogger as unknown as { setLevel(level: string): void }).setLevel("error");
    const whoami = await user.request<{ device_id: string }>("GET", "/_matrix/client/v3/account/whoami");
    const client = createClient({
      baseUrl: user.baseUrl,
      userId: user.userId,
      accessToken: user.accessToken,
      deviceId: whoami.device_id,
      logger: quiet,
    });
    await client.initRustCrypto({ useIndexedDB: false });
    const synced = new Promise<void>((resolve) => {
      const onSync = (state: SyncState) => {
        if (state !== SyncState.Prepared && state !== SyncState.Syncing) return;
        client.off(ClientEvent.Sync, onSync);
        resolve();
      };
      client.on(ClientEvent.Sync, onSync);
    });
    await client.startClient({ initialSyncLimit: 50 });
    await synced;
    return new EncryptedClient(client, user.userId, whoami.device_id);
  }

  /** A direct chat as Element makes one: encrypted from its first event, `invitee` invited. */
  async createEncryptedDm(invitee: string): Promise<string> {
    const { room_id: roomId } = await this.client.createRoom({
      preset: Preset.TrustedPrivateChat,
      is_direct: true,
      invite: [invitee],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    await this.waitUntil(
      async () => (await this.client.getCrypto()?.isEncryptionEnabledInRoom(roomId)) === true,
    );
    return roomId;
  }

  /** Joins a room it was invited to, and waits until its client knows the room. */
  async join(roomId: string): Promise<void> {
    await this.client.joinRoom(roomId);
    await this.waitUntil(async () => this.client.getRoom(roomId)?.getMyMembership() === "join");
  }

  /** Sends a text message, encrypted when the room is (the SDK shares the room key with every member's devices). */
  async sendText(roomId: string, body: string): Promise<string> {
    const { event_id } = await this.client.sendMessage(roomId, { msgtype: MsgType.Text, body });
    return event_id;
  }

  /** Every room event this client holds for `roomId`, decrypted where it could. */
  events(roomId: string): ClearEvent[] {
    const room = this.client.getRoom(roomId);
    if (room === null) return [];
    return room
      .getLiveTimeline()
      .getEvents()
      .filter((e: MatrixEvent) => e.getId() !== undefined)
      .map((e: MatrixEvent) => ({
        eventId: e.getId() ?? "",
        sender: e.getSender() ?? "",
        type: e.getType(),
        content: e.getContent(),
        encrypted: e.isEncrypted(),
      }));
  }

  /** The first event of `roomId` that matches, waiting for it (decryption included). */
  async waitForEvent(roomId: string, matches: (e: ClearEvent) => boolean, what: string): Promise<ClearEvent> {
    let found: ClearEvent | undefined;
    await this.waitUntil(
      async () => {
        found = this.events(roomId).find(matches);
        return found !== undefined;
      },
      () => `${what}; the room holds: ${JSON.stringify(this.events(roomId).slice(-6))}`,
    );
    if (found === undefined) throw new Error(what);
    return found;
  }

  async waitUntil(condition: () => Promise<boolean>, describe?: () => string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${describe?.() ?? condition.toString()}`);
      await sleep(100);
    }
  }

  stop(): void {
    this.client.stopClient();
  }
}
