// The test network's plugin, the model for writing one: it implements every optional method of the contract
// (network.ts), each with what a plugin for a real network does there. Its network is the world in test-world.ts,
// which lives inside the test process and outlives the bridge; the plugin is a thin client of it, made anew at every
// start of the bridge, so it remembers nothing a real plugin could not find again on its network or in its storage.

import {
  type Command,
  CommandUsageError,
  type DeliveryResult,
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
  type NetworkContext,
  type NetworkFactory,
  type NetworkInfo,
  type NetworkPlugin,
  type PuppetLogin,
  plainText,
  type RemoteRoomId,
  type RemoteRoomInfo,
  type RemoteUserId,
  type RemoteUserInfo,
  type RichNode,
  type RichText,
  remoteRoomId,
  remoteUserId,
  type ThirdPartyLookup,
  type UserId,
  withRelayMarks,
} from "bridge-core";
import { parseTestNetworkConfig, type TestNetworkConfig } from "./test-network-config.ts";
import { TestWorld } from "./test-world.ts";

export type { OptionalFeature, TestNetworkConfig } from "./test-network-config.ts";
export type { Delivery, DeliveryValues, Post } from "./test-world.ts";
export { TestWorld } from "./test-world.ts";

export class TestNetwork implements NetworkPlugin {
  readonly info: NetworkInfo = {
    id: "testnet",
    displayName: "Test network",
    ghostTemplate: "testnet_{id}",
    aliasTemplate: "testnet_{id}",
  };
  private readonly world: TestWorld;
  private readonly context: NetworkContext;
  /** Whether a reply is threaded to its original on the network; otherwise it goes out under a quote of it. */
  private readonly threadsReplies: boolean;
  /** The Matrix users logged in to the network, and as whom: restored from `savedLogins` at every start. */
  private readonly sessions = new Map<UserId, RemoteUserId>();
  /** Custom emoji pictures uploaded to Matrix, by name: each is uploaded once per start, not once per reaction. */
  private readonly emojiUploads = new Map<string, Promise<MxcUri>>();

  /**
   * The factory's work: keep the context and the checked settings, connect nothing yet. Leaving an optional method
   * out is how a plugin says its network lacks the feature; the settings can leave some out to show the fallbacks.
   */
  constructor(world: TestWorld, context: NetworkContext, settings: TestNetworkConfig) {
    this.world = world;
    this.context = context;
    const without = new Set(settings.without ?? []);
    this.threadsReplies = !without.has("replies");
    for (const feature of without) {
      if (feature !== "replies") Object.defineProperty(this, feature, { value: undefined });
    }
  }

  /** Connects, and picks up the logins the bridge had before it stopped (their sessions come back sealed by the core). */
  async start(): Promise<void> {
    this.world.connect(this.context.remote, (name) => this.emojiImage(name));
    for (const { userId, login } of await this.context.savedLogins()) {
      this.sessions.set(userId, login.remoteUserId);
      this.context.connectionState({ connection: userId, state: "CONNECTED" });
    }
    this.context.puppetsConnected(this.sessions.size);
    this.context.connectionState({ connection: "bot", state: "CONNECTED" });
  }

  /**
   * A custom emoji's picture on Matrix: uploaded with `context.media.upload` the first time it is used, the handle
   * kept (a real plugin would keep it in `storage` too, to upload it once ever).
   */
  private emojiImage(name: string): Promise<MxcUri> {
    let upload = this.emojiUploads.get(name);
    if (upload === undefined) {
      const picture = this.world.customEmoji.get(name);
      if (picture === undefined) return Promise.reject(new Error(`the network has no emoji :${name}:`));
      upload = this.context.media.upload(picture, "image/png", `${name}.png`);
      this.emojiUploads.set(name, upload);
    }
    return upload;
  }

  /** The core calls nothing after this: report nothing more either. */
  async stop(): Promise<void> {
    this.world.disconnect(this.context.remote);
  }

  async resolveRoom(id: RemoteRoomId): Promise<RemoteRoomInfo | null> {
    return this.world.rooms.get(id) ?? null;
  }

  async resolveUser(id: RemoteUserId): Promise<RemoteUserInfo | null> {
    return this.world.users.get(id) ?? null;
  }

  async roomMembers(id: RemoteRoomId, limit: number): Promise<RemoteUserInfo[]> {
    const ids = (this.world.members.get(id) ?? []).slice(0, limit);
    return ids.map((uid) => this.world.users.get(uid) ?? { id: uid, displayName: uid });
  }

  /**
   * Renders the neutral message in the network's own form (plain lines here; IRC codes, XEP-0393 or Telegram
   * entities elsewhere) and sends it. A retry after a crash asks the network first, so nothing is posted twice.
   */
  async sendMessage(message: MatrixMessage): Promise<DeliveryResult> {
    if (message.mayHaveBeenSent && message.eventId !== undefined) {
      const earlier = this.world.postedFor(message.eventId);
      if (earlier !== undefined) return { remoteMessageId: earlier };
    }
    // A thread's message goes into the thread; the sender's avatar is shown beside it, as a Discord webhook does.
    const shown = {
      text: this.linesOf(message),
      ...(message.thread !== undefined && { thread: message.thread.root }),
      ...(message.senderAvatar !== undefined && { avatar: message.senderAvatar() }),
    };
    return { remoteMessageId: this.world.post(message, shown) };
  }

  /**
   * The text as the network's users read it. The network has no formatting and no line breaks within a line: every
   * line break starts a line, and a relayed message carries its sender's marks on every line, quote included, so
   * that no line reads as someone else's.
   */
  private linesOf(message: MatrixMessage): string {
    const { reply } = message;
    const quote: RichText =
      reply !== undefined && !(this.threadsReplies && reply.to !== undefined)
        ? [{ type: "text", text: `> <${reply.author}> ${reply.text}\n` }]
        : [];
    const text = splitLines([...quote, ...message.text]);
    return plainText(message.as.kind === "relay" ? withRelayMarks(text, message.as.marks) : text);
  }

  /** Edits replace the message on the network; without this method the core sends "* new text" instead. */
  async sendEdit(edit: MatrixEdit): Promise<void> {
    this.world.receive({ kind: "edit", value: edit });
  }

  /** Without this method redactions stay on Matrix. */
  async sendRedaction(redaction: MatrixRedaction): Promise<void> {
    this.world.receive({ kind: "redaction", value: redaction });
  }

  /** Only puppets react on the network; the core turns relayed users' reactions into messages itself. */
  async sendReaction(reaction: MatrixReaction): Promise<DeliveryResult> {
    this.world.receive({ kind: "reaction", value: reaction });
    return { remoteMessageId: this.world.newMessageId() };
  }

  /** Tried once by the core: a plugin throws nothing worth retrying here. */
  async sendTyping(typing: MatrixTyping): Promise<void> {
    this.world.receive({ kind: "typing", value: typing });
  }

  async sendReadReceipt(receipt: MatrixReadReceipt): Promise<void> {
    this.world.receive({ kind: "receipt", value: receipt });
  }

  /** The sender's remote identity joins or leaves the remote room with them. */
  async handleMembership(membership: MatrixMembership): Promise<void> {
    this.world.receive({ kind: "membership", value: membership });
  }

  /** A topic or name set on Matrix is set on the network, as the sender's remote identity. */
  async handleRoomChange(change: MatrixRoomChange): Promise<void> {
    this.world.receive({ kind: "roomChange", value: change });
    const room = this.world.rooms.get(change.remoteRoomId);
    if (room === undefined) return;
    if (change.topic !== undefined) room.topic = change.topic;
    if (change.name !== undefined) room.name = change.name;
  }

  /** A kick on Matrix removes the remote user from the remote room (the network refuses if the sender may not). */
  async handleKick(kick: MatrixKick): Promise<void> {
    this.world.receive({ kind: "kick", value: kick });
    const members = this.world.members.get(kick.remoteRoomId);
    if (members !== undefined) {
      this.world.members.set(
        kick.remoteRoomId,
        members.filter((m) => m !== kick.target),
      );
    }
  }

  /** Levels are the core's 0/50/100; a network maps them onto its own ranks (IRC voice and op, MUC roles). */
  async handlePowerLevels(change: MatrixPowerLevels): Promise<void> {
    this.world.receive({ kind: "powerLevels", value: change });
  }

  /** Presence has no room: the network shows it wherever the identity is seen. */
  async sendPresence(presence: MatrixPresence): Promise<void> {
    this.world.presence.set(presence.sender, presence);
  }

  /**
   * Checks the credentials with the network and keeps the session. What goes in `session` is what a restart needs
   * (`savedLogins`); the core seals it. An Error's message is shown to the user as it is.
   */
  async login(userId: UserId, _args: string[], text: string): Promise<PuppetLogin> {
    // The password is the rest of the line as typed: passwords may contain spaces, several in a row.
    const [, username, password] = /^(\S+)\s+([\s\S]+)$/u.exec(text) ?? [];
    if (username === undefined || password === undefined)
      throw new Error("usage: login <username> <password>");
    if (!this.world.passwordMatches(username, password)) throw new Error("wrong username or password");
    const id = remoteUserId(username);
    this.sessions.set(userId, id);
    this.context.puppetsConnected(this.sessions.size);
    this.context.connectionState({ connection: userId, state: "CONNECTED" });
    return { remoteUserId: id, session: { username } };
  }

  async logout(userId: UserId): Promise<void> {
    this.sessions.delete(userId);
    this.context.puppetsConnected(this.sessions.size);
    this.world.loggedOut.push(userId);
  }

  /** The network's own identity for a Matrix user, where it gives one without a login (XMPP component JIDs). */
  async automaticIdentity(userId: UserId): Promise<RemoteUserId | null> {
    return this.world.identityFor(userId);
  }

  /** So that what a Matrix user's own identity does on the network reaches Matrix as them, not as a ghost. */
  matrixUserOf(id: RemoteUserId): UserId | null {
    return this.world.ownerOfIdentity(id);
  }

  /** Remakes a connection; its state is reported as it comes back. */
  async reconnect(connection: "bot" | UserId): Promise<void> {
    if (connection === "bot") {
      this.world.disconnect(this.context.remote);
      this.world.connect(this.context.remote, (name) => this.emojiImage(name));
    } else if (!this.sessions.has(connection)) {
      throw new Error(`${connection} is not logged in to the test network`);
    }
    this.context.connectionState({ connection, state: "CONNECTED" });
  }

  /** A room's owner on the network may refuse bridging: the refusal is shown to whoever asked to link. */
  async validateLink(id: RemoteRoomId): Promise<string | null> {
    return id.startsWith("locked") ? "this room's owner does not allow bridging" : null;
  }

  /** The plugin's own bot command, beside the core's. */
  readonly commands: Command[] = [
    {
      name: "rooms",
      summary: "list the rooms of the test network",
      run: (ctx) => ctx.reply(`Rooms: ${[...this.world.rooms.keys()].sort().join(", ")}`),
    },
    {
      // The core makes the portal and invites the user; the plugin only names the room (its own spelling of it).
      name: "open",
      usage: "<room>",
      summary: "be invited into a room of the test network",
      run: async (ctx) => {
        const [room] = ctx.args;
        if (room === undefined) throw new CommandUsageError("name a room");
        try {
          await ctx.reply(`Invited you to ${await ctx.openPortal(remoteRoomId(room))}`);
        } catch (err) {
          await ctx.reply(`Cannot open ${room}: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    },
  ];

  /** Lets clients search the network's rooms and users from their room directory. */
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
      const room = [...this.world.rooms.keys()].find((id) => id === fields["room"]);
      return room !== undefined ? [{ id: room, fields: { room } }] : [];
    },
    findUsers: async (fields) => {
      const user = [...this.world.users.keys()].find((id) => id === fields["username"]);
      return user !== undefined ? [{ id: user, fields: { username: user } }] : [];
    },
    roomFields: async (id) => (this.world.rooms.has(id) ? { room: id } : null),
    userFields: async (id) => (this.world.users.has(id) ? { username: id } : null),
  };
}

/** Makes every kind of line break in the text a "\n", where withRelayMarks starts a line. */
function splitLines(rich: RichText): RichText {
  return rich.map((node): RichNode => {
    if (node.type === "text") return { type: "text", text: node.text.replace(/\r\n?|\u2028|\u2029/g, "\n") };
    return "children" in node ? { ...node, children: splitLines(node.children) } : node;
  });
}

/** The factory the harness hands the bridge: every start makes a new plugin on the same world. */
export function testNetworkOn(world: TestWorld): (context: NetworkContext) => TestNetwork {
  return (context) => new TestNetwork(world, context, parseTestNetworkConfig(context.config));
}

/** The module's default export, for a bridge the CLI starts: the network exists only inside that process. */
const createTestNetwork: NetworkFactory = (context) => {
  const settings = parseTestNetworkConfig(context.config);
  return new TestNetwork(new TestWorld(settings), context, settings);
};
export default createTestNetwork;
