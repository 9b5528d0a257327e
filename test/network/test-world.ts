// The remote side of the test network: its rooms, users and accounts, what reached it from the bridge, and the way
// a test speaks as its users. It lives as long as the test does, across restarts of the bridge, as a real network
// outlives the bridge's process; each start of the bridge makes a new plugin (test-network.ts) that connects to it.

import { EventEmitter, once } from "node:events";
import {
  type EventId,
  localpartOf,
  type MatrixEdit,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type MatrixPowerLevels,
  type MatrixPresence,
  type MatrixReaction,
  type MatrixReadReceipt,
  type MatrixRedaction,
  type MatrixRoomChange,
  type MatrixTyping,
  type MxcUri,
  PermanentDeliveryError,
  plainText,
  type RemoteEvents,
  type RemoteMessageId,
  type RemoteReaction,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type UserId,
} from "bridge-core";
import type { TestNetworkConfig } from "./test-network-config.ts";

/** What the bridge asked the network to do, by kind. */
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
  powerLevels: MatrixPowerLevels;
}
export type Delivery = {
  [K in keyof DeliveryValues]: { kind: K; value: DeliveryValues[K] };
}[keyof DeliveryValues];

/** A message as the network's users read it: the lines the plugin made of a MatrixMessage (relay marks, quotes). */
export interface Post {
  message: MatrixMessage;
  id: RemoteMessageId;
  text: string;
  /** The thread it went into: the id of the message that started it. */
  thread?: RemoteMessageId;
  /** The picture shown beside it: the sender's avatar, as a link anyone can open. */
  avatar?: string;
}

export class TestWorld {
  readonly rooms = new Map<RemoteRoomId, RemoteRoomInfo>();
  readonly users = new Map<RemoteUserId, RemoteUserInfo>();
  /** Who is in each remote room, most active first. */
  readonly members = new Map<RemoteRoomId, RemoteUserId[]>();
  /** Everything the bridge handed the network, in order. */
  readonly deliveries: Delivery[] = [];
  readonly posts: Post[] = [];
  /** Matrix users' presence as the network shows it. */
  readonly presence = new Map<UserId, MatrixPresence>();
  readonly loggedOut: UserId[] = [];
  /** Matrix users the network gives no automatic identity (so the relay or a login must serve them). */
  readonly withoutIdentity = new Set<UserId>();
  private readonly accounts: Record<string, string>;
  private readonly automaticIdentities: boolean;
  /** Automatic identities handed out, and whose they are: the network remembers them while the bridge restarts. */
  private readonly identities = new Map<RemoteUserId, UserId>();
  private readonly events = new EventEmitter();
  /** The network's custom emoji (pictures users react with), by name. */
  readonly customEmoji = new Map<string, Uint8Array>();
  private bridge: RemoteEvents | null = null;
  /** The connected plugin's Matrix handle for a custom emoji's picture. */
  private emojiImage: ((name: string) => Promise<MxcUri>) | null = null;
  private nextMessageId = 1;
  private failures: { reason: string; passing: boolean }[] = [];

  constructor(config: TestNetworkConfig = {}) {
    for (const room of config.rooms ?? []) {
      this.addRoom(room.id, {
        ...(room.name && { name: room.name }),
        ...(room.topic && { topic: room.topic }),
      });
      this.members.set(remoteRoomId(room.id), (room.members ?? []).map(remoteUserId));
    }
    for (const user of config.users ?? []) this.addUser(user.id, user.displayName);
    this.accounts = config.accounts ?? {};
    this.automaticIdentities = config.automaticIdentities ?? true;
  }

  /** Messages delivered to the network, the most used kind of delivery. */
  get received(): MatrixMessage[] {
    return this.deliveries.flatMap((d) => (d.kind === "message" ? [d.value] : []));
  }

  /** Where the network tells the bridge what its users do: the connected plugin's callbacks, for a test to call. */
  get remote(): RemoteEvents {
    if (this.bridge === null) throw new Error("no bridge is connected to the test network");
    return this.bridge;
  }

  /**
   * A plugin connected: what happens on the network from now on is told to it; custom emoji reach it as their name,
   * and `emojiImage` is how it brings one's picture to Matrix.
   */
  connect(bridge: RemoteEvents, emojiImage: (name: string) => Promise<MxcUri>): void {
    this.bridge = bridge;
    this.emojiImage = emojiImage;
  }

  disconnect(bridge: RemoteEvents): void {
    if (this.bridge !== bridge) return;
    this.bridge = null;
    this.emojiImage = null;
  }

  /** `sender` reacts to `target` with the custom emoji `name` (in customEmoji): an image reaction on Matrix. */
  async reactWithEmoji(reaction: Omit<RemoteReaction, "key" | "image">, name: string): Promise<void> {
    if (this.emojiImage === null) throw new Error("no bridge is connected to the test network");
    const image = await this.emojiImage(name);
    await this.remote.reaction({ ...reaction, key: `:${name}:`, image });
  }

  newMessageId(): RemoteMessageId {
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

  passwordMatches(username: string, password: string): boolean {
    return Object.hasOwn(this.accounts, username) && this.accounts[username] === password;
  }

  /** The identity the network gives a Matrix user without a login (named after their localpart), or null. */
  identityFor(userId: UserId): RemoteUserId | null {
    if (!this.automaticIdentities || this.withoutIdentity.has(userId)) return null;
    const id = remoteUserId(`mx_${localpartOf(userId)}`);
    this.identities.set(id, userId);
    return id;
  }

  ownerOfIdentity(id: RemoteUserId): UserId | null {
    return this.identities.get(id) ?? null;
  }

  /** Takes a delivery from the bridge, or refuses it as the test asked (failNextSend) or as the network must. */
  receive(delivery: Delivery, post?: Omit<Post, "message">): void {
    const failure = this.failures.shift();
    if (failure !== undefined) {
      throw failure.passing ? new Error(failure.reason) : new PermanentDeliveryError(failure.reason);
    }
    const { direct, remoteRoomId: room } = delivery.value;
    if (direct !== undefined ? !this.users.has(direct) : !this.rooms.has(room)) {
      throw new Error(`no such ${direct !== undefined ? `user ${direct}` : `room ${room}`}`);
    }
    if (post !== undefined && delivery.kind === "message")
      this.posts.push({ message: delivery.value, ...post });
    this.deliveries.push(delivery);
    this.events.emit("delivery");
  }

  /** Takes a message and shows it to the network's users as `shown` says; the id the network gives it. */
  post(message: MatrixMessage, shown: Omit<Post, "message" | "id">): RemoteMessageId {
    const id = this.newMessageId();
    this.receive({ kind: "message", value: message }, { id, ...shown });
    return id;
  }

  /** The id of the message the bridge already posted for `eventId`, if it did: the network can be asked. */
  postedFor(eventId: EventId): RemoteMessageId | undefined {
    return this.posts.find((p) => p.message.eventId === eventId)?.id;
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
          .map((d) => `${d.kind}:${"text" in d.value ? plainText(d.value.text) : ""}`)
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

  /** Resolves with the first message whose text as shown on the network matches `predicate`. */
  async waitForPost(predicate: (text: string) => boolean, timeoutMs?: number): Promise<Post> {
    const message = await this.waitForMessage(
      (m) => this.posts.some((p) => p.message === m && predicate(p.text)),
      timeoutMs,
    );
    const post = this.posts.find((p) => p.message === message);
    if (post === undefined) throw new Error("a posted message has no post");
    return post;
  }
}
