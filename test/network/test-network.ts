// A fake remote network that lives inside the test process, for proving bridge-core end to end against the real
// Synapse before (and beside) the real networks. Rooms and users exist when the test says so; messages the bridge
// delivers are recorded for the test to wait on.

import { EventEmitter, once } from "node:events";
import {
  type DeliveryResult,
  type MatrixMessage,
  type NetworkContext,
  type NetworkFactory,
  type NetworkInfo,
  type NetworkPlugin,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type ThirdPartyLookup,
} from "bridge-core";

export interface TestNetworkConfig {
  rooms?: { id: string; name?: string; topic?: string }[];
  users?: { id: string; displayName: string }[];
}

export class TestNetwork implements NetworkPlugin {
  readonly info: NetworkInfo = {
    id: "testnet",
    displayName: "Test network",
    ghostTemplate: "testnet_{id}",
    aliasTemplate: "testnet_{id}",
    capabilities: {
      edits: true,
      redactions: true,
      reactions: true,
      replies: true,
      typing: true,
      receipts: true,
    },
  };
  readonly rooms = new Map<RemoteRoomId, RemoteRoomInfo>();
  readonly users = new Map<RemoteUserId, RemoteUserInfo>();
  readonly received: MatrixMessage[] = [];
  started = false;
  private readonly events = new EventEmitter();
  private nextMessageId = 1;
  private failures: string[] = [];

  constructor(config: TestNetworkConfig = {}) {
    for (const room of config.rooms ?? []) this.addRoom(room.id, room);
    for (const user of config.users ?? []) this.addUser(user.id, user.displayName);
  }

  addRoom(id: string, info: { name?: string; topic?: string } = {}): RemoteRoomId {
    const rid = remoteRoomId(id);
    this.rooms.set(rid, { id: rid, ...info });
    return rid;
  }

  addUser(id: string, displayName: string): RemoteUserId {
    const uid = remoteUserId(id);
    this.users.set(uid, { id: uid, displayName });
    return uid;
  }

  /** The next delivery attempt fails with `reason`, as a network outage or refusal would. */
  failNextSend(reason: string): void {
    this.failures.push(reason);
  }

  async start(_context: NetworkContext): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    return this.rooms.get(id) ?? null;
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    return this.users.get(id) ?? null;
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw new Error(failure);
    if (!this.rooms.has(message.remoteRoomId)) throw new Error(`no such room ${message.remoteRoomId}`);
    this.received.push(message);
    this.events.emit("message", message);
    return { remoteMessageId: remoteMessageId(`m${this.nextMessageId++}`) };
  }

  /** Resolves with the first delivered message matching `predicate`, including ones delivered before the call. */
  async waitForMessage(predicate: (m: MatrixMessage) => boolean, timeoutMs = 15_000): Promise<MatrixMessage> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      try {
        await once(this.events, "message", { signal });
      } catch {
        const seen = this.received.map((m) => `${m.sender}: ${m.body}`).join("; ") || "nothing";
        throw new Error(
          `no matching message reached the test network within ${timeoutMs} ms (received: ${seen})`,
        );
      }
    }
  }

  readonly thirdParty: ThirdPartyLookup = {
    protocol: {
      user_fields: ["username"],
      location_fields: ["room"],
      icon: "mxc://localhost/testnet",
      field_types: {
        username: { regexp: "[a-z0-9_]+", placeholder: "alice" },
        room: { regexp: "[a-z0-9_]+", placeholder: "lobby" },
      },
      instances: [{ desc: "Test network", network_id: "testnet", fields: {} }],
    },
    findRooms: async (fields) => {
      const id = remoteRoomId(fields["room"] ?? "");
      return this.rooms.has(id) ? [{ id, fields: { room: id } }] : [];
    },
    findUsers: async (fields) => {
      const id = remoteUserId(fields["username"] ?? "");
      return this.users.has(id) ? [{ id, fields: { username: id } }] : [];
    },
    roomFields: async (id) => (this.rooms.has(id) ? { room: id } : null),
    userFields: async (id) => (this.users.has(id) ? { username: id } : null),
  };
}

const createTestNetwork: NetworkFactory = ({ config }) => new TestNetwork(config as TestNetworkConfig);
export default createTestNetwork;
