// A MultiServerIrcNetwork over two fake servers, libera and oftc, that record what they are asked and answer as plain
// IRC servers would, on a core context that records what is reported and keeps each server's storage apart.

import assert from "node:assert/strict";
import {
  type Command,
  type CommandContext,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type NetworkContext,
  type NetworkPlugin,
  parseRoomId,
  parseUserId,
  type RemoteRoomId,
  type RemoteUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type UserId,
} from "bridge-core";
import { MultiServerIrcNetwork } from "../src/multi-server.ts";
import { fakeContext, recordingRemote } from "./fake-context.ts";

export const alice = parseUserId("@alice:example.org");
const room = parseRoomId("!room:example.org");

type Call = [method: string, ...args: unknown[]];

/** A server's network that records what it is asked and answers as a plain IRC server would. */
export class FakeServer implements NetworkPlugin {
  readonly info = { id: "irc", displayName: "IRC", ghostTemplate: "irc_{id}", aliasTemplate: "irc_{id}" };
  readonly calls: Call[] = [];
  readonly context: NetworkContext;
  readonly commands: Command[];
  /** Matrix users this server gives no puppet. */
  readonly noPuppet = new Set<UserId>();
  readonly name: string;

  constructor(name: string, context: NetworkContext) {
    this.name = name;
    this.context = context;
    this.commands = [
      {
        name: "nick",
        usage: "<newnick>",
        summary: "change your nick",
        run: async (ctx) => {
          this.calls.push(["command nick", ...ctx.args]);
          await ctx.reply(`${this.name}: ${ctx.args.join(" ")}`);
        },
      },
    ];
  }

  async start(): Promise<void> {
    this.calls.push(["start"]);
  }
  async stop(): Promise<void> {
    this.calls.push(["stop"]);
  }
  async resolveRoom(id: RemoteRoomId) {
    this.calls.push(["resolveRoom", id]);
    return id.startsWith("#") ? { id: remoteRoomId(id.toLowerCase()), name: id } : null;
  }
  async resolveUser(id: RemoteUserId) {
    this.calls.push(["resolveUser", id]);
    return { id: remoteUserId(id.toLowerCase()), displayName: id };
  }
  async roomMembers(id: RemoteRoomId, limit: number) {
    this.calls.push(["roomMembers", id, limit]);
    return [{ id: remoteUserId("carol"), displayName: "carol" }];
  }
  async validateLink(id: RemoteRoomId, requester: UserId) {
    this.calls.push(["validateLink", id, requester]);
    return null;
  }
  matrixUserOf(id: RemoteUserId): UserId | null {
    this.calls.push(["matrixUserOf", id]);
    return id === "alice[m]" ? alice : null;
  }
  async automaticIdentity(userId: UserId) {
    return this.noPuppet.has(userId) ? null : remoteUserId(`${this.name}-alice[m]`);
  }
  async sendMessage(message: MatrixMessage) {
    this.calls.push(["sendMessage", message]);
    return { remoteMessageId: remoteMessageId("out-1") };
  }
  async handleKick(kick: MatrixKick) {
    this.calls.push(["handleKick", kick]);
  }
  async handleMembership(membership: MatrixMembership) {
    this.calls.push(["handleMembership", membership]);
  }
}

export function setUp() {
  const servers = new Map<string, FakeServer>();
  const reported: [string, unknown][] = [];
  const storage = new Map<string, unknown>();
  const puppetCounts: number[] = [];
  const context = fakeContext({
    remote: recordingRemote(reported),
    storage: {
      get: async (key) => storage.get(key),
      put: async (key, value) => void storage.set(key, value),
      delete: async (key) => void storage.delete(key),
    },
    linkedRooms: async () =>
      ["libera.#a", "oftc.#b", "libera.#c", `dm:${alice}:libera.carol`, "#legacy"].map(remoteRoomId),
    puppetsConnected: (count) => void puppetCounts.push(count),
  });
  const server = (key: string) => ({
    key,
    create: (serverContext: NetworkContext) => {
      const made = new FakeServer(key, serverContext);
      servers.set(key, made);
      return made;
    },
  });
  const composite = new MultiServerIrcNetwork(context, [server("libera"), server("oftc")]);
  return {
    libera: servers.get("libera")!,
    oftc: servers.get("oftc")!,
    composite,
    reported,
    storage,
    puppetCounts,
  };
}

export function message(overrides: Partial<MatrixMessage> = {}): MatrixMessage {
  return {
    remoteRoomId: remoteRoomId("libera.#chan"),
    sender: alice,
    senderName: "Alice",
    as: { kind: "puppet", remoteUserId: remoteUserId("libera.alice[m]") },
    kind: "text",
    text: [{ type: "text", text: "hello" }],
    ...overrides,
  };
}

export function commandContext(args: string[], replies: string[]): CommandContext {
  return {
    roomId: room,
    sender: alice,
    args,
    text: args.join(" "),
    isManagementRoom: true,
    reply: async (text) => void replies.push(text),
    hideCommand: async () => {},
    openPortal: async (id) => assert.fail(`no command here opens a portal (${id})`),
  };
}
