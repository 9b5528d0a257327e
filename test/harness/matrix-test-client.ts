// A plain Matrix user for end-to-end tests, talking to the real homeserver over the client-server API. It keeps a
// /sync loop running from the moment it connects and remembers everything it saw, so a test can wait for an event
// that may already have arrived, and a test that times out says what it saw instead.

import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type EventId, parseEventId, parseRoomId, parseUserId, type RoomId, type UserId } from "bridge-core";
import type { Homeserver } from "./homeserver.ts";
import { MatrixRequestError, matrixRequest, type Query } from "./matrix-request.ts";

/** A client-server API event, with the room it was seen in added as `room_id` (sync leaves it out). */
export interface MatrixEvent {
  type: string;
  sender: string;
  room_id: string;
  content: Record<string, unknown>;
  event_id?: string;
  state_key?: string;
  origin_server_ts?: number;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

export type EventPredicate = (event: MatrixEvent) => boolean;

export interface WaitOptions {
  /** Defaults to 15 s. */
  timeoutMs?: number;
  /** Only events of this room count. */
  roomId?: string;
  /** What the predicate looks for, for the timeout message; defaults to the predicate's source. */
  description?: string;
}

const SYNC_TIMEOUT_MS = 30_000;
const RECENT_EVENTS_SHOWN = 8;
// The connecting sync only fetches a position to continue from, so it leaves every room out.
const POSITION_ONLY_FILTER = JSON.stringify({ room: { rooms: [] }, presence: { types: [] } });
// Synapse cuts a room's timeline at 10 events by default and reports a gap; a burst from a benchmark must fit.
const LIVE_FILTER = JSON.stringify({ room: { timeline: { limit: 1000 } }, presence: { types: [] } });

interface SyncRoom {
  state?: { events?: Omit<MatrixEvent, "room_id">[] };
  timeline?: { events?: Omit<MatrixEvent, "room_id">[] };
  ephemeral?: { events?: Omit<MatrixEvent, "room_id">[] };
  invite_state?: { events?: Omit<MatrixEvent, "room_id">[] };
}

interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, SyncRoom>;
    invite?: Record<string, SyncRoom>;
    leave?: Record<string, SyncRoom>;
  };
}

interface Waiter {
  readonly matches: EventPredicate;
  readonly resolve: (event: MatrixEvent) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Registers a user with the homeserver's shared secret and returns it logged in and syncing. Synapse and Dendrite
 * both serve this endpoint with the same HMAC scheme; the password (32 characters) passes Dendrite's minimum of 8.
 */
export async function registerUser(
  homeserver: Pick<Homeserver, "url" | "sharedSecret">,
  localpart: string,
  options: { admin?: boolean; displayName?: string } = {},
): Promise<TestClient> {
  const url = `${homeserver.url}/_synapse/admin/v1/register`;
  const { nonce } = await matrixRequest<{ nonce: string }>("GET", url);
  const password = randomBytes(16).toString("hex");
  const admin = options.admin ?? false;
  const mac = createHmac("sha1", homeserver.sharedSecret)
    .update([nonce, localpart, password, admin ? "admin" : "notadmin"].join("\0"))
    .digest("hex");
  const registered = await matrixRequest<{ user_id: string; access_token: string }>("POST", url, {
    body: { nonce, username: localpart, password, admin, mac, displayname: options.displayName },
  });
  return TestClient.connect(homeserver.url, registered.user_id, registered.access_token);
}

export class TestClient {
  readonly userId: UserId;
  readonly accessToken: string;
  readonly baseUrl: string;
  private readonly seen: MatrixEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly stopSync = new AbortController();
  private syncLoop: Promise<void> = Promise.resolve();
  private lastSyncError: string | undefined;

  private constructor(baseUrl: string, userId: UserId, accessToken: string) {
    this.baseUrl = baseUrl;
    this.userId = userId;
    this.accessToken = accessToken;
  }

  /** A client for an existing access token; events are recorded from this call on. */
  static async connect(baseUrl: string, userId: string, accessToken: string): Promise<TestClient> {
    const client = new TestClient(baseUrl, parseUserId(userId), accessToken);
    const position = await client.request<SyncResponse>("GET", "/_matrix/client/v3/sync", undefined, {
      timeout: 0,
      filter: POSITION_ONLY_FILTER,
    });
    client.syncLoop = client.syncFrom(position.next_batch);
    return client;
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    return matrixRequest<T>(method, this.baseUrl + path, { body, query, accessToken: this.accessToken });
  }

  async createRoom(options: Record<string, unknown> = {}): Promise<RoomId> {
    const { room_id } = await this.request<{ room_id: string }>(
      "POST",
      "/_matrix/client/v3/createRoom",
      options,
    );
    return parseRoomId(room_id);
  }

  async join(roomIdOrAlias: string): Promise<RoomId> {
    const { room_id } = await this.request<{ room_id: string }>(
      "POST",
      `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`,
      {},
    );
    return parseRoomId(room_id);
  }

  async leave(roomId: string): Promise<void> {
    await this.request("POST", `${roomPath(roomId)}/leave`, {});
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request("POST", `${roomPath(roomId)}/invite`, { user_id: userId });
  }

  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<EventId> {
    const path = `${roomPath(roomId)}/send/${encodeURIComponent(type)}/${randomUUID()}`;
    const { event_id } = await this.request<{ event_id: string }>("PUT", path, content);
    return parseEventId(event_id);
  }

  async sendMessage(roomId: string, content: Record<string, unknown>): Promise<EventId> {
    return this.sendEvent(roomId, "m.room.message", content);
  }

  async sendText(roomId: string, body: string): Promise<EventId> {
    return this.sendMessage(roomId, { msgtype: "m.text", body });
  }

  async sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
  ): Promise<EventId> {
    const path = `${roomPath(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    const { event_id } = await this.request<{ event_id: string }>("PUT", path, content);
    return parseEventId(event_id);
  }

  /** The content of a state event, or null when the room has none of that type and key. */
  async getState<T = Record<string, unknown>>(
    roomId: string,
    type: string,
    stateKey = "",
  ): Promise<T | null> {
    const path = `${roomPath(roomId)}/state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`;
    try {
      return await this.request<T>("GET", path);
    } catch (error) {
      if (error instanceof MatrixRequestError && error.status === 404) return null;
      throw error;
    }
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<EventId> {
    const path = `${roomPath(roomId)}/redact/${encodeURIComponent(eventId)}/${randomUUID()}`;
    const { event_id } = await this.request<{ event_id: string }>("PUT", path, reason ? { reason } : {});
    return parseEventId(event_id);
  }

  async setDisplayName(displayName: string): Promise<void> {
    await this.request("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(this.userId)}/displayname`, {
      displayname: displayName,
    });
  }

  /** A private room flagged as a direct chat with `otherUserId`, who is invited, as a Matrix client would make it. */
  async createDirectMessage(otherUserId: string): Promise<RoomId> {
    const roomId = await this.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [otherUserId],
    });
    const accountDataPath = `/_matrix/client/v3/user/${encodeURIComponent(this.userId)}/account_data/m.direct`;
    let direct: Record<string, string[]> = {};
    try {
      direct = await this.request<Record<string, string[]>>("GET", accountDataPath);
    } catch (error) {
      if (!(error instanceof MatrixRequestError && error.status === 404)) throw error;
    }
    await this.request("PUT", accountDataPath, {
      ...direct,
      [otherUserId]: [...(direct[otherUserId] ?? []), roomId],
    });
    return roomId;
  }

  /** Every event seen since connecting, oldest first, optionally of one room only. */
  eventsSeen(roomId?: string): readonly MatrixEvent[] {
    return roomId === undefined ? [...this.seen] : this.seen.filter((event) => event.room_id === roomId);
  }

  /** The first event, seen before or after this call, that the predicate accepts. */
  async waitForEvent(predicate: EventPredicate, options: WaitOptions = {}): Promise<MatrixEvent> {
    const { timeoutMs = 15_000, roomId } = options;
    const matches: EventPredicate = (event) =>
      (roomId === undefined || event.room_id === roomId) && predicate(event);
    const earlier = this.seen.find(matches);
    if (earlier) return earlier;
    if (this.stopSync.signal.aborted) throw new Error(`${this.userId} is closed and sees no more events`);
    return new Promise<MatrixEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(this.describeTimeout(options.description ?? predicate.toString(), timeoutMs, roomId)),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        matches,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Waits for an invite of this user that the predicate accepts (given the invite's member event); returns the room. */
  async waitForInvite(predicate: EventPredicate = () => true, options: WaitOptions = {}): Promise<RoomId> {
    const invite = await this.waitForEvent(
      (event) =>
        event.type === "m.room.member" &&
        event.state_key === this.userId &&
        event.content["membership"] === "invite" &&
        predicate(event),
      { description: `an invite for ${this.userId} matching ${predicate.toString()}`, ...options },
    );
    return parseRoomId(invite.room_id);
  }

  /** Ends the sync loop; waits still pending fail. */
  async close(): Promise<void> {
    this.stopSync.abort();
    for (const waiter of this.waiters) waiter.reject(new Error(`${this.userId} was closed while waiting`));
    this.waiters.clear();
    await this.syncLoop;
  }

  private async syncFrom(position: string): Promise<void> {
    const signal = this.stopSync.signal;
    let since = position;
    let retryDelayMs = 100;
    while (!signal.aborted) {
      try {
        const sync = await matrixRequest<SyncResponse>("GET", `${this.baseUrl}/_matrix/client/v3/sync`, {
          query: { since, timeout: SYNC_TIMEOUT_MS, filter: LIVE_FILTER },
          accessToken: this.accessToken,
          signal,
        });
        since = sync.next_batch;
        this.record(sync);
        retryDelayMs = 100;
        this.lastSyncError = undefined;
      } catch (error) {
        if (signal.aborted) return;
        // The homeserver may be down on purpose (outage tests): keep trying from the same position, so nothing is
        // missed, and remember why for the timeout messages of waits that run meanwhile.
        this.lastSyncError = `${new Date().toISOString()} ${error instanceof Error ? error.message : String(error)}`;
        await sleep(retryDelayMs, undefined, { signal }).catch(() => undefined);
        retryDelayMs = Math.min(retryDelayMs * 2, 1_000);
      }
    }
  }

  private record(sync: SyncResponse): void {
    const rooms = sync.rooms ?? {};
    for (const [roomId, room] of Object.entries(rooms.join ?? {})) {
      this.add(roomId, room.state?.events, room.timeline?.events, room.ephemeral?.events);
    }
    for (const [roomId, room] of Object.entries(rooms.invite ?? {})) {
      this.add(roomId, room.invite_state?.events);
    }
    for (const [roomId, room] of Object.entries(rooms.leave ?? {})) {
      this.add(roomId, room.state?.events, room.timeline?.events);
    }
  }

  private add(roomId: string, ...batches: (Omit<MatrixEvent, "room_id">[] | undefined)[]): void {
    for (const batch of batches) {
      for (const raw of batch ?? []) {
        const event: MatrixEvent = { ...raw, room_id: roomId };
        this.seen.push(event);
        for (const waiter of this.waiters) {
          let matched: boolean;
          try {
            matched = waiter.matches(event);
          } catch (error) {
            // A predicate that throws is a bug in the test; fail its wait rather than the sync loop.
            this.waiters.delete(waiter);
            waiter.reject(error instanceof Error ? error : new Error(String(error)));
            continue;
          }
          if (matched) {
            this.waiters.delete(waiter);
            waiter.resolve(event);
          }
        }
      }
    }
  }

  private describeTimeout(description: string, timeoutMs: number, roomId: string | undefined): string {
    const where = roomId === undefined ? "any room" : roomId;
    const recent = this.eventsSeen(roomId).slice(-RECENT_EVENTS_SHOWN);
    const lines = [`${this.userId} timed out after ${timeoutMs} ms waiting in ${where} for ${description}.`];
    if (recent.length === 0) lines.push(`It saw no events in ${where} since connecting.`);
    else lines.push(`The last events it saw in ${where}:`);
    for (const event of recent) lines.push(`  ${summarize(event, roomId === undefined)}`);
    if (this.lastSyncError) lines.push(`Last sync error: ${this.lastSyncError}`);
    return lines.join("\n");
  }
}

function roomPath(roomId: string): string {
  return `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
}

function summarize(event: MatrixEvent, withRoom: boolean): string {
  const { body, membership } = event.content;
  let detail = "";
  if (typeof body === "string") detail = `: ${JSON.stringify(body.slice(0, 120))}`;
  else if (typeof membership === "string") detail = ` (${event.state_key} ${membership})`;
  else if (event.state_key !== undefined) detail = ` [state_key ${JSON.stringify(event.state_key)}]`;
  return `${event.type} from ${event.sender}${withRoom ? ` in ${event.room_id}` : ""}${detail}`;
}
