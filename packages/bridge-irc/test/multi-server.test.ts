import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Command,
  type CommandContext,
  CommandUsageError,
  fillTemplate,
  Logger,
  type MatrixKick,
  type MatrixMembership,
  type MatrixMessage,
  type NetworkContext,
  type NetworkPlugin,
  parseRoomId,
  parseUserId,
  type RemoteEvents,
  type RemoteRoomId,
  type RemoteUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  type UserId,
} from "bridge-core";
import { portalAlias, remoteIdOfGhost } from "../src/matrix-ids.ts";
import {
  MultiServerIrcNetwork,
  prefixedRemoteEvents,
  splitServerId,
  withServer,
} from "../src/multi-server.ts";

const alice = parseUserId("@alice:example.org");
const room = parseRoomId("!room:example.org");
const capabilities = {
  edits: false,
  redactions: false,
  reactions: false,
  replies: false,
  typing: false,
  receipts: false,
};

type Call = [method: string, ...args: unknown[]];

/** A server's network that records what it is asked and answers as a plain IRC server would. */
class FakeServer implements NetworkPlugin {
  readonly info = {
    id: "irc",
    displayName: "IRC",
    ghostTemplate: "irc_{id}",
    aliasTemplate: "irc_{id}",
    capabilities,
  };
  readonly calls: Call[] = [];
  context: NetworkContext | null = null;
  readonly commands: Command[];
  /** Matrix users this server gives no puppet. */
  readonly noPuppet = new Set<UserId>();
  readonly name: string;

  constructor(name: string) {
    this.name = name;
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

  async start(context: NetworkContext): Promise<void> {
    this.context = context;
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

function recordingRemote(calls: Call[]): RemoteEvents {
  return new Proxy({} as RemoteEvents, {
    get:
      (_target, method: string) =>
      async (event: unknown): Promise<void> => {
        calls.push([method, event]);
      },
  });
}

async function setUp() {
  const libera = new FakeServer("libera");
  const oftc = new FakeServer("oftc");
  const composite = new MultiServerIrcNetwork([
    { key: "libera", network: libera },
    { key: "oftc", network: oftc },
  ]);
  const reported: Call[] = [];
  const storage = new Map<string, unknown>();
  const puppetCounts: number[] = [];
  const context: NetworkContext = {
    logger: Logger.create({ sink: { write: () => {} } }),
    config: {},
    homeserverUrl: "http://hs.test",
    remote: recordingRemote(reported),
    media: {
      download: async () => ({ data: new Uint8Array(), contentType: "text/plain" }),
      upload: async () => {
        throw new Error("no uploads here");
      },
      publicLink: (url) => `https://bridge.test/_media/${url}`,
      uploadWithLink: async () => {
        throw new Error("no uploads here");
      },
    },
    secrets: {
      seal: () => {
        throw new Error("no secrets here");
      },
      open: () => null,
    },
    storage: {
      get: async (key) => storage.get(key),
      put: async (key, value) => void storage.set(key, value),
      delete: async (key) => void storage.delete(key),
    },
    linkedRooms: async () =>
      ["libera.#a", "oftc.#b", "libera.#c", `dm:${alice}:libera.carol`, "#legacy"].map(remoteRoomId),
    savedLogins: async () => [],
    puppetsConnected: (count) => void puppetCounts.push(count),
  };
  await composite.start(context);
  return { libera, oftc, composite, reported, storage, puppetCounts };
}

function message(overrides: Partial<MatrixMessage> = {}): MatrixMessage {
  return {
    roomId: room,
    remoteRoomId: remoteRoomId("libera.#chan"),
    sender: alice,
    as: { kind: "puppet", remoteUserId: remoteUserId("libera.alice[m]") },
    msgtype: "m.text",
    body: "hello",
    ...overrides,
  };
}

function commandContext(args: string[], replies: string[]): CommandContext {
  return {
    roomId: room,
    sender: alice,
    args,
    text: args.join(" "),
    isManagementRoom: true,
    reply: async (text) => void replies.push(text),
    hideCommand: async () => {},
  };
}

describe("server-prefixed ids", () => {
  it("put the key in front and take it off at the first separator", () => {
    assert.equal(withServer("libera", "#chan"), "libera.#chan");
    assert.deepEqual(splitServerId("libera.#chan.with.dots"), { key: "libera", id: "#chan.with.dots" });
    assert.deepEqual(splitServerId("oftc-2.nick"), { key: "oftc-2", id: "nick" });
    assert.equal(splitServerId("#chan"), null);
    assert.equal(splitServerId(".#chan"), null);
    assert.equal(splitServerId("libera."), null);
  });

  it("give the Matrix names the core makes from its templates", () => {
    assert.equal(`@${fillTemplate("irc_{id}", "libera.carol")}:example.org`, "@irc_libera.carol:example.org");
    assert.equal(fillTemplate("irc_{id}", "oftc.Carol"), "irc_oftc._carol");
    assert.equal(fillTemplate("irc_{id}", "oftc.[away]"), "irc_oftc.=5baway=5d");
    assert.equal(portalAlias("irc_{id}", "libera.#chan", "example.org"), "#irc_libera.#chan:example.org");
  });
});

describe("MultiServerIrcNetwork, Matrix to IRC", () => {
  it("sends to the room's server without the prefix, as the user's puppet there", async () => {
    const { libera, oftc, composite } = await setUp();
    await composite.sendMessage(message());
    const [, sent] = libera.calls.find(([m]) => m === "sendMessage") ?? [];
    assert.equal((sent as MatrixMessage).remoteRoomId, "#chan");
    assert.deepEqual((sent as MatrixMessage).as, { kind: "puppet", remoteUserId: "alice[m]" });
    assert.ok(!oftc.calls.some(([m]) => m === "sendMessage"));
  });

  it("asks the room's server for the puppet when the core's identity is another server's", async () => {
    const { oftc, composite } = await setUp();
    await composite.sendMessage(message({ remoteRoomId: remoteRoomId("oftc.#chan") }));
    const [, sent] = oftc.calls.find(([m]) => m === "sendMessage") ?? [];
    assert.deepEqual((sent as MatrixMessage).as, { kind: "puppet", remoteUserId: "oftc-alice[m]" });

    oftc.noPuppet.add(alice);
    await assert.rejects(
      composite.sendMessage(message({ remoteRoomId: remoteRoomId("oftc.#chan") })),
      /no IRC connection of your own on oftc/,
    );
    const relayed = message({
      remoteRoomId: remoteRoomId("oftc.#chan"),
      as: { kind: "relay", displayName: "Alice" },
    });
    await composite.sendMessage(relayed);
    assert.deepEqual((oftc.calls.at(-1)![1] as MatrixMessage).as, relayed.as);
  });

  it("routes private chats by their peer and refuses ids of no server", async () => {
    const { oftc, composite } = await setUp();
    const dm = remoteRoomId(`dm:${alice}:oftc.carol`);
    await composite.sendMessage(message({ remoteRoomId: dm, direct: remoteUserId("oftc.carol") }));
    const [, sent] = oftc.calls.at(-1) ?? [];
    assert.equal((sent as MatrixMessage).direct, "carol");
    assert.equal((sent as MatrixMessage).remoteRoomId, dm);
    await assert.rejects(
      composite.sendMessage(message({ remoteRoomId: remoteRoomId("#chan") })),
      /names none/,
    );
    await assert.rejects(composite.sendMessage(message({ remoteRoomId: remoteRoomId("efnet.#chan") })));
  });

  it("kicks only ghosts of the room's own server, and passes memberships on", async () => {
    const { libera, composite } = await setUp();
    const side = { roomId: room, remoteRoomId: remoteRoomId("libera.#chan"), sender: alice };
    const as = { kind: "puppet" as const, remoteUserId: remoteUserId("libera.alice[m]") };
    await composite.handleKick({ ...side, as, target: remoteUserId("oftc.frank"), ban: false });
    assert.ok(!libera.calls.some(([m]) => m === "handleKick"));
    await composite.handleKick({ ...side, as, target: remoteUserId("libera.frank"), ban: true });
    const [, kick] = libera.calls.at(-1) ?? [];
    assert.deepEqual(kick, {
      ...side,
      remoteRoomId: "#chan",
      as: { ...as, remoteUserId: "alice[m]" },
      target: "frank",
      ban: true,
    });
    await composite.handleMembership({ ...side, as, membership: "join" });
    assert.equal((libera.calls.at(-1)![1] as { remoteRoomId: string }).remoteRoomId, "#chan");
  });

  it("resolves rooms and users on their server and names them with the prefix", async () => {
    const { libera, oftc, composite } = await setUp();
    assert.deepEqual(await composite.resolveRoom(remoteRoomId("oftc.#Chan")), {
      id: "oftc.#chan",
      name: "#Chan",
    });
    assert.deepEqual(oftc.calls.at(-1), ["resolveRoom", "#Chan"]);
    assert.equal(await composite.resolveRoom(remoteRoomId("#chan")), null);
    assert.equal(await composite.resolveRoom(remoteRoomId("efnet.#chan")), null);
    assert.equal(await composite.resolveRoom(remoteRoomId("libera.nochannel")), null);
    assert.deepEqual(await composite.resolveUser(remoteUserId("libera.Carol")), {
      id: "libera.carol",
      displayName: "Carol",
    });
    assert.equal(await composite.resolveUser(remoteUserId("carol")), null);
    assert.deepEqual(await composite.roomMembers(remoteRoomId("libera.#chan"), 5), [
      { id: "libera.carol", displayName: "carol" },
    ]);
    assert.deepEqual(libera.calls.at(-1), ["roomMembers", "#chan", 5]);
    assert.equal(await composite.validateLink(remoteRoomId("oftc.#chan"), alice), null);
    assert.deepEqual(oftc.calls.at(-1), ["validateLink", "#chan", alice]);
    assert.match((await composite.validateLink(remoteRoomId("#chan"), alice)) ?? "", /libera\.#channel/);
  });

  it("knows Matrix users behind puppet nicks per server, and gives the first server's identity", async () => {
    const { oftc, composite } = await setUp();
    assert.equal(composite.matrixUserOf(remoteUserId("oftc.alice[m]")), alice);
    assert.deepEqual(oftc.calls.at(-1), ["matrixUserOf", "alice[m]"]);
    assert.equal(composite.matrixUserOf(remoteUserId("alice[m]")), null);
    assert.equal(await composite.automaticIdentity(alice), "libera.libera-alice[m]");
  });
});

describe("MultiServerIrcNetwork, IRC to Matrix", () => {
  it("prefixes every room and user id a server reports", async () => {
    const { libera, oftc, reported } = await setUp();
    const sender = { id: remoteUserId("carol"), displayName: "carol" };
    const remote = libera.context!.remote;
    await remote.message({ roomId: remoteRoomId("#chan"), sender, id: remoteMessageId("m1"), body: "hi" });
    await oftc.context!.remote.message({
      roomId: remoteRoomId("#chan"),
      sender,
      id: remoteMessageId("m1"),
      body: "hi",
    });
    await remote.kick({
      roomId: remoteRoomId("#chan"),
      sender,
      target: { ...sender, id: remoteUserId("dave") },
      ban: false,
    });
    await remote.power({ roomId: remoteRoomId("#chan"), user: sender, level: 50 });
    await remote.roomInfo({ id: remoteRoomId("#chan"), topic: "t" });
    await remote.profile(sender);
    await remote.membership({ roomId: remoteRoomId("#chan"), sender, membership: "join" });
    await remote.directMessage({ from: sender, to: alice, id: remoteMessageId("p1"), body: "psst" });
    const carol = { id: "libera.carol", displayName: "carol" };
    assert.deepEqual(reported, [
      ["message", { roomId: "libera.#chan", sender: carol, id: "m1", body: "hi" }],
      ["message", { roomId: "oftc.#chan", sender: { ...carol, id: "oftc.carol" }, id: "m1", body: "hi" }],
      [
        "kick",
        { roomId: "libera.#chan", sender: carol, target: { ...carol, id: "libera.dave" }, ban: false },
      ],
      ["power", { roomId: "libera.#chan", user: carol, level: 50 }],
      ["roomInfo", { id: "libera.#chan", topic: "t" }],
      ["profile", carol],
      ["membership", { roomId: "libera.#chan", sender: carol, membership: "join" }],
      ["directMessage", { from: carol, to: alice, id: "p1", body: "psst" }],
    ]);
  });

  it("prefixes the remaining reports too", async () => {
    const reported: Call[] = [];
    const remote = prefixedRemoteEvents("k", recordingRemote(reported));
    const sender = { id: remoteUserId("u"), displayName: "u" };
    const roomId = remoteRoomId("#r");
    const target = remoteMessageId("m");
    await remote.edit({ roomId, sender, target, body: "b" });
    await remote.deletion({ roomId, sender, target });
    await remote.reaction({ roomId, sender, id: remoteMessageId("x"), target, key: "+" });
    await remote.reactionRemoved({ roomId, sender, id: remoteMessageId("x") });
    await remote.typing({ roomId, sender, typing: true });
    for (const [, event] of reported) {
      assert.equal((event as { roomId: string }).roomId, "k.#r");
      assert.equal((event as { sender: { id: string } }).sender.id, "k.u");
    }
    assert.equal(reported.length, 5);
  });

  it("gives each server its own rooms, storage and share of the puppet count", async () => {
    const { libera, oftc, storage, puppetCounts } = await setUp();
    assert.deepEqual(await libera.context!.linkedRooms(), ["#a", "#c"]);
    assert.deepEqual(await oftc.context!.linkedRooms(), ["#b"]);
    await libera.context!.storage.put(`puppet-nick:${alice}`, "ali");
    assert.equal(await oftc.context!.storage.get(`puppet-nick:${alice}`), undefined);
    assert.equal(await libera.context!.storage.get(`puppet-nick:${alice}`), "ali");
    assert.deepEqual([...storage.keys()], [`server:libera:puppet-nick:${alice}`]);
    libera.context!.puppetsConnected(2);
    oftc.context!.puppetsConnected(3);
    libera.context!.puppetsConnected(1);
    assert.deepEqual(puppetCounts, [2, 5, 4]);
  });

  it("names the core's Matrix ids in each server's own templates", async () => {
    const { libera, oftc } = await setUp();
    assert.equal(remoteIdOfGhost(libera.info.ghostTemplate, "@irc_libera.carol:example.org"), "carol");
    assert.equal(remoteIdOfGhost(libera.info.ghostTemplate, "@irc_oftc.carol:example.org"), null);
    assert.equal(portalAlias(oftc.info.aliasTemplate, "#chan", "example.org"), "#irc_oftc.#chan:example.org");
  });
});

describe("MultiServerIrcNetwork commands", () => {
  it("take the server's key first when there are several", async () => {
    const { libera, oftc, composite } = await setUp();
    const nick = composite.commands.find((c) => c.name === "nick")!;
    assert.equal(nick.usage, "<server> <newnick>");
    const replies: string[] = [];
    await nick.run(commandContext(["oftc", "ali"], replies));
    assert.deepEqual(oftc.calls.at(-1), ["command nick", "ali"]);
    assert.ok(!libera.calls.some(([m]) => m === "command nick"));
    assert.deepEqual(replies, ["oftc: ali"]);
    await assert.rejects(nick.run(commandContext([], replies)), CommandUsageError);
    await assert.rejects(nick.run(commandContext(["efnet", "ali"], replies)), /not one of/);
  });

  it("are the server's own with a single server", () => {
    const only = new FakeServer("only");
    const composite = new MultiServerIrcNetwork([{ key: "only", network: only }]);
    assert.equal(composite.commands, only.commands);
  });
});
