import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CommandUsageError,
  type MatrixMessage,
  type RichText,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
} from "bridge-core";
import { fillTemplate } from "bridge-core/bridge";
import {
  MultiServerIrcNetwork,
  prefixedRemoteEvents,
  splitServerId,
  withServer,
} from "../src/multi-server.ts";
import { fakeContext, recordingRemote } from "./fake-context.ts";
import { alice, commandContext, FakeServer, message, setUp } from "./multi-server-fixture.ts";

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
  });
});

describe("MultiServerIrcNetwork, Matrix to IRC", () => {
  it("sends to the room's server without the prefix, as the user's puppet there", async () => {
    const { libera, oftc, composite } = setUp();
    await composite.start();
    assert.deepEqual([libera.calls, oftc.calls], [[["start"]], [["start"]]]);
    await composite.sendMessage(message());
    const [, sent] = libera.calls.find(([m]) => m === "sendMessage") ?? [];
    assert.equal((sent as MatrixMessage).remoteRoomId, "#chan");
    assert.deepEqual((sent as MatrixMessage).as, { kind: "puppet", remoteUserId: "alice[m]" });
    assert.ok(!oftc.calls.some(([m]) => m === "sendMessage"));
  });

  it("asks the room's server for the puppet when the core's identity is another server's", async () => {
    const { oftc, composite } = setUp();
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
      as: { kind: "relay", marks: { displayName: "Alice", before: "<Alice> ", after: "" } },
    });
    await composite.sendMessage(relayed);
    assert.deepEqual((oftc.calls.at(-1)![1] as MatrixMessage).as, relayed.as);
  });

  it("gives a server the mentions of its own users without the key, and only the names of others", async () => {
    const { libera, composite } = setUp();
    await composite.sendMessage(
      message({
        text: [
          {
            type: "bold",
            children: [{ type: "mention", user: remoteUserId("libera.carol"), name: "Carol" }],
          },
          { type: "text", text: " and " },
          { type: "mention", user: remoteUserId("oftc.dave"), name: "Dave" },
        ],
      }),
    );
    const [, sent] = libera.calls.at(-1) ?? [];
    assert.deepEqual((sent as MatrixMessage).text, [
      { type: "bold", children: [{ type: "mention", user: "carol", name: "Carol" }] },
      { type: "text", text: " and " },
      { type: "text", text: "Dave" },
    ]);
  });

  it("routes private chats by their peer and refuses ids of no server", async () => {
    const { oftc, composite } = setUp();
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
    const { libera, composite } = setUp();
    const side = { remoteRoomId: remoteRoomId("libera.#chan"), sender: alice, senderName: "Alice" };
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
    const { libera, oftc, composite } = setUp();
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
    const { oftc, composite } = setUp();
    assert.equal(composite.matrixUserOf(remoteUserId("oftc.alice[m]")), alice);
    assert.deepEqual(oftc.calls.at(-1), ["matrixUserOf", "alice[m]"]);
    assert.equal(composite.matrixUserOf(remoteUserId("alice[m]")), null);
    assert.equal(await composite.automaticIdentity(alice), "libera.libera-alice[m]");
  });
});

describe("MultiServerIrcNetwork, IRC to Matrix", () => {
  it("prefixes every room and user id a server reports", async () => {
    const { libera, oftc, reported } = setUp();
    const sender = { id: remoteUserId("carol"), displayName: "carol" };
    const remote = libera.context.remote;
    const hi: RichText = [{ type: "text", text: "hi" }];
    await remote.message({ roomId: remoteRoomId("#chan"), sender, id: remoteMessageId("m1"), text: hi });
    await oftc.context.remote.message({
      roomId: remoteRoomId("#chan"),
      sender,
      id: remoteMessageId("m1"),
      text: hi,
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
    await remote.directMessage({ from: sender, to: alice, id: remoteMessageId("p1"), text: hi });
    await remote.presence({ user: sender, state: "online" });
    await remote.receipt({ roomId: remoteRoomId("#chan"), sender, upTo: remoteMessageId("m1") });
    const carol = { id: "libera.carol", displayName: "carol" };
    assert.deepEqual(reported, [
      ["message", { roomId: "libera.#chan", sender: carol, id: "m1", text: hi }],
      ["message", { roomId: "oftc.#chan", sender: { ...carol, id: "oftc.carol" }, id: "m1", text: hi }],
      [
        "kick",
        { roomId: "libera.#chan", sender: carol, target: { ...carol, id: "libera.dave" }, ban: false },
      ],
      ["power", { roomId: "libera.#chan", user: carol, level: 50 }],
      ["roomInfo", { id: "libera.#chan", topic: "t" }],
      ["profile", carol],
      ["membership", { roomId: "libera.#chan", sender: carol, membership: "join" }],
      ["directMessage", { from: carol, to: alice, id: "p1", text: hi }],
      ["presence", { user: carol, state: "online" }],
      ["receipt", { roomId: "libera.#chan", sender: carol, upTo: "m1" }],
    ]);
  });

  it("prefixes the users a message mentions", async () => {
    const { libera, reported } = setUp();
    const sender = { id: remoteUserId("carol"), displayName: "carol" };
    await libera.context.remote.message({
      roomId: remoteRoomId("#chan"),
      sender,
      id: remoteMessageId("m1"),
      text: [
        { type: "italic", children: [{ type: "mention", user: remoteUserId("alice[m]"), name: "alice[m]" }] },
      ],
    });
    const [, event] = reported.at(-1) ?? [];
    assert.deepEqual((event as { text: RichText }).text, [
      { type: "italic", children: [{ type: "mention", user: "libera.alice[m]", name: "alice[m]" }] },
    ]);
  });

  it("prefixes the remaining reports too", async () => {
    const reported: [string, unknown][] = [];
    const remote = prefixedRemoteEvents("k", recordingRemote(reported));
    const sender = { id: remoteUserId("u"), displayName: "u" };
    const roomId = remoteRoomId("#r");
    const target = remoteMessageId("m");
    await remote.edit({ roomId, sender, target, text: [{ type: "text", text: "b" }] });
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
    const { libera, oftc, storage, puppetCounts } = setUp();
    assert.deepEqual(await libera.context.linkedRooms(), ["#a", "#c"]);
    assert.deepEqual(await oftc.context.linkedRooms(), ["#b"]);
    // A server's channel is named by the core under its prefixed id, through the configured alias template.
    assert.equal(oftc.context.portalAlias(remoteRoomId("#b")), "#test_oftc.#b:example.org");
    await libera.context.storage.put(`puppet-nick:${alice}`, "ali");
    assert.equal(await oftc.context.storage.get(`puppet-nick:${alice}`), undefined);
    assert.equal(await libera.context.storage.get(`puppet-nick:${alice}`), "ali");
    assert.deepEqual([...storage.keys()], [`server:libera:puppet-nick:${alice}`]);
    libera.context.puppetsConnected(2);
    oftc.context.puppetsConnected(3);
    libera.context.puppetsConnected(1);
    assert.deepEqual(puppetCounts, [2, 5, 4]);
  });
});

describe("MultiServerIrcNetwork commands", () => {
  it("take the server's key first when there are several", async () => {
    const { libera, oftc, composite } = setUp();
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
    let only: FakeServer | undefined;
    const composite = new MultiServerIrcNetwork(fakeContext(), [
      { key: "only", create: (context) => (only = new FakeServer("only", context)) },
    ]);
    assert.equal(composite.commands, only?.commands);
  });
});
