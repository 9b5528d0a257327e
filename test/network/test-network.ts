// A fake remote network that lives inside the test process, for proving bridge-core end to end against the real
// Synapse before (and beside) the real networks. Rooms, users and accounts exist when the test says so; whatever the
// bridge delivers is recorded for the test to wait on; `remote` lets a test speak as the remote side.

import { EventEmitter, once } from "node:events";
import {
  type Command,
  type DeliveryResult,
  localpartOf,
  type MatrixEdit,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixReaction,
  type MatrixReadReceipt,
  type MatrixRedaction,
  type MatrixRoomChange,
  type MatrixTyping,
  type MxcUri,
  type NetworkCapabilities,
  type NetworkContext,
  type NetworkFactory,
  type NetworkInfo,
  type NetworkPlugin,
  PermanentDeliveryError,
  type PuppetLogin,
  type RemoteEvents,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type ThirdPartyLookup,
  type UserId,
} from "bridge-core";

export interface TestNetworkConfig {
  rooms?: { id: string; name?: string; topic?: string; members?: string[] }[];
  users?: { id: string; displayName: string }[];
  /** username → password, for `login`. */
  accounts?: Record<string, string>;
  /** Every Matrix user gets the identity `mx_<localpart>` without logging in (as an XMPP component gives JIDs). */
  automaticIdentities?: boolean;
  capabilities?: Partial<NetworkCapabilities>;
}

/** What the bridge can ask the network to do, by kind. */
export interface DeliveryValues {
  message: MatrixMessage;
  edit: MatrixEdit;
  redaction: MatrixRedaction;
  reaction: MatrixReaction;
  typing: MatrixTyping;
  receipt: MatrixReadReceipt;
  membership: MatrixMembership;
  roomChange: MatrixRoomChange;
  kick: MatrixKick;
}
export type Delivery = {
  [K in keyof DeliveryValues]: { kind: K; value: DeliveryValues[K] };
}[keyof DeliveryValues];

export class TestNetwork implements NetworkPlugin {
  readonly info: NetworkInfo;
  readonly rooms = new Map<RemoteRoomId, RemoteRoomInfo>();
  readonly users = new Map<RemoteUserId, RemoteUserInfo>();
  /** Who is in each remote room, most active first. */
  readonly members = new Map<RemoteRoomId, RemoteUserId[]>();
  readonly deliveries: Delivery[] = [];
  readonly loggedOut: UserId[] = [];
  /** Matrix users the network gives no automatic identity (so the relay or a login must serve them). */
  readonly withoutIdentity = new Set<UserId>();
  /** Automatic identities handed out, and whose they are. */
  private readonly identities = new Map<RemoteUserId, UserId>();
  started = false;
  private readonly accounts: Record<string, string>;
  private readonly automatic: boolean;
  private readonly events = new EventEmitter();
  private context: NetworkContext | null = null;
  private nextMessageId = 1;
  private failures: { reason: string; passing: boolean }[] = [];

  constructor(config: TestNetworkConfig = {}) {
    this.info = {
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
        ...config.capabilities,
      },
    };
    for (const room of config.rooms ?? []) {
      this.addRoom(room.id, {
        ...(room.name && { name: room.name }),
        ...(room.topic && { topic: room.topic }),
      });
      this.members.set(remoteRoomId(room.id), (room.members ?? []).map(remoteUserId));
    }
    for (const user of config.users ?? []) this.addUser(user.id, user.displayName);
    this.accounts = config.accounts ?? {};
    this.automatic = config.automaticIdentities ?? true;
  }

  /** Messages delivered to the network, the most used kind of delivery. */
  get received(): MatrixMessage[] {
    return this.deliveries.flatMap((d) => (d.kind === "message" ? [d.value] : []));
  }

  /** The core's callbacks, for speaking as the remote side. */
  get remote(): RemoteEvents {
    if (this.context === null) throw new Error("the test network is not started");
    return this.context.remote;
  }

  newMessageId() {
    return remoteMessageId(`r${this.nextMessageId++}`);
  }

  addRoom(id: string, info: { name?: string; topic?: string } = {}): RemoteRoomId {
    const rid = remoteRoomId(id);
    this.rooms.set(rid, { id: rid, ...info });
    return rid;
  }

  addUser(id: string, displayName: string): RemoteUserInfo {
    const uid = remoteUserId(id);
    const user = { id: uid, displayName };
    this.users.set(uid, user);
    return user;
  }

  /**
   * The next delivery attempt fails with `reason`: for good (a refusal, told to the sender at once) or, with
   * `passing`, as a network outage would (retried by the core).
   */
  failNextSend(reason: string, options: { passing?: boolean } = {}): void {
    this.failures.push({ reason, passing: options.passing === true });
  }

  async start(context: NetworkContext): Promise<void> {
    this.context = context;
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

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const ids = (this.members.get(id) ?? []).slice(0, limit);
    return ids.map((uid) => this.users.get(uid) ?? { id: uid, displayName: uid });
  }

  /** Downloads Matrix media the way a plugin does, through the core's helper. */
  download(url: MxcUri): Promise<{ data: Uint8Array; contentType: string }> {
    if (this.context === null) throw new Error("the test network is not started");
    return this.context.media.download(url);
  }

  /** The plugin's own bot command, beside the core's. */
  readonly commands: Command[] = [
    {
      name: "rooms",
      summary: "list the rooms of the test network",
      run: (ctx) => ctx.reply(`Rooms: ${[...this.rooms.keys()].sort().join(", ")}`),
    },
  ];

  private record(delivery: Delivery): void {
    const failure = this.failures.shift();
    if (failure !== undefined) {
      throw failure.passing ? new Error(failure.reason) : new PermanentDeliveryError(failure.reason);
    }
    const { direct, remoteRoomId: room } = delivery.value;
    if (direct !== undefined ? !this.users.has(direct) : !this.rooms.has(room)) {
      throw new Error(`no such ${direct !== undefined ? `user ${direct}` : `room ${room}`}`);
    }
    this.deliveries.push(delivery);
    this.events.emit("delivery");
  }

  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    this.record({ kind: "message", value: message });
    return { remoteMessageId: this.newMessageId() };
  }

  async sendEdit(edit: MatrixEdit): Promise<void> {
    this.record({ kind: "edit", value: edit });
  }

  async sendRedaction(redaction: MatrixRedaction): Promise<void> {
    this.record({ kind: "redaction", value: redaction });
  }

  async sendReaction(reaction: MatrixReaction): Promise<DeliveryResult> {
    this.record({ kind: "reaction", value: reaction });
    return { remoteMessageId: this.newMessageId() };
  }

  async sendTyping(typing: MatrixTyping): Promise<void> {
    this.record({ kind: "typing", value: typing });
  }

  async sendReadReceipt(receipt: MatrixReadReceipt): Promise<void> {
    this.record({ kind: "receipt", value: receipt });
  }

  async handleMembership(membership: MatrixMembership): Promise<void> {
    this.record({ kind: "membership", value: membership });
  }

  async handleRoomChange(change: MatrixRoomChange): Promise<void> {
    this.record({ kind: "roomChange", value: change });
  }

  async handleKick(kick: MatrixKick): Promise<void> {
    this.record({ kind: "kick", value: kick });
  }

  async login(_userId: UserId, _args: string[], text: string): Promise<PuppetLogin> {
    // The password is the rest of the line as typed: passwords may contain spaces, several in a row.
    const [, username, password] = /^(\S+)\s+([\s\S]+)$/u.exec(text) ?? [];
    if (username === undefined || password === undefined)
      throw new Error("usage: login <username> <password>");
    if (this.accounts[username] !== password) throw new Error("wrong username or password");
    return { remoteUserId: remoteUserId(username), session: { username } };
  }

  async logout(userId: UserId): Promise<void> {
    this.loggedOut.push(userId);
  }

  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    if (!this.automatic || this.withoutIdentity.has(userId)) return null;
    const id = remoteUserId(`mx_${localpartOf(userId)}`);
    this.identities.set(id, userId);
    return id;
  }

  matrixUserOf(id: RemoteUserId): UserId | null {
    return this.identities.get(id) ?? null;
  }

  async validateLink(id: RemoteRoomId): Promise<string | null> {
    return id.startsWith("locked") ? "this room's owner does not allow bridging" : null;
  }

  /** Resolves with the first delivery matching `predicate`, including ones delivered before the call. */
  async waitForDelivery<K extends keyof DeliveryValues>(
    kind: K,
    predicate: (value: DeliveryValues[K]) => boolean,
    timeoutMs = 15_000,
  ): Promise<DeliveryValues[K]> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const found = this.deliveries.find((d) => d.kind === kind && predicate(d.value as DeliveryValues[K]));
      if (found) return found.value as DeliveryValues[K];
      try {
        await once(this.events, "delivery", { signal });
      } catch {
        const seen = this.deliveries
          .map((d) => `${d.kind}:${"body" in d.value ? d.value.body : ""}`)
          .join("; ");
        throw new Error(
          `no matching ${kind} reached the test network within ${timeoutMs} ms (got: ${seen || "nothing"})`,
        );
      }
    }
  }

  waitForMessage(predicate: (m: MatrixMessage) => boolean, timeoutMs?: number): Promise<MatrixMessage> {
    return this.waitForDelivery("message", predicate, timeoutMs);
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
