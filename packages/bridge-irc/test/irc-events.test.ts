import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { Logger, type RemoteEvents } from "bridge-core";
import { IrcConnection } from "../src/irc-connection.ts";
import { IrcEvents } from "../src/irc-events.ts";
import { isNetsplitQuit, NetsplitDebounce } from "../src/netsplit.ts";
import { NickIdentities } from "../src/nick-identities.ts";
import { FakeIrcClient } from "./fake-irc-client.ts";

type Call = { call: string; [key: string]: unknown };

function fakeRemote(calls: Call[]): RemoteEvents {
  const record =
    (call: string) =>
    async (event: object): Promise<void> => {
      calls.push({ call, ...event });
    };
  return {
    message: record("message"),
    edit: record("edit"),
    deletion: record("deletion"),
    reaction: record("reaction"),
    reactionRemoved: record("reactionRemoved"),
    typing: record("typing"),
    membership: record("membership"),
    profile: record("profile"),
    roomInfo: record("roomInfo"),
  } as unknown as RemoteEvents;
}

async function setUp(
  options: { graceMs?: number; puppets?: string[]; knownNicks?: Map<string, string> } = {},
) {
  const client = new FakeIrcClient();
  const bot = new IrcConnection(
    { host: "irc.test", port: 6667, tls: false, nick: "MatrixBridge", username: "m", realname: "m" },
    client.asClient(),
  );
  const connecting = bot.connect();
  client.register();
  await connecting;
  const calls: Call[] = [];
  const puppets = new Set(options.puppets ?? []);
  const events = new IrcEvents({
    bot,
    remote: fakeRemote(calls),
    logger: Logger.create({ sink: { write: () => undefined } }),
    isPuppet: (nick) => puppets.has(nick),
    ...(options.knownNicks && { knownNicks: () => options.knownNicks! }),
    netsplitGraceMs: options.graceMs ?? 0,
    identities: new NickIdentities(),
  });
  client.emit("join", { nick: "MatrixBridge", channel: "#lobby" });
  client.emit("userlist", {
    channel: "#lobby",
    users: [{ nick: "MatrixBridge" }, { nick: "carol" }, { nick: "Dave" }],
  });
  const memberships = () =>
    calls
      .filter((c) => c.call === "membership")
      .map((c) => `${(c["sender"] as { displayName: string }).displayName} ${c["membership"]}`);
  return { client, bot, events, calls, memberships };
}

describe("isNetsplitQuit", () => {
  it("recognises the two server names servers give for a split", () => {
    assert.equal(isNetsplitQuit("irc.a.net irc.b.net"), true);
    assert.equal(isNetsplitQuit("inspircd.test leaf.test"), true);
    assert.equal(isNetsplitQuit(" hub.example.org leaf-2.example.org "), true);
  });

  it("does not take ordinary quits, or what users may write, for one", () => {
    for (const message of [
      undefined,
      "",
      "Quit: irc.a.net irc.b.net",
      "irc.a.net",
      "irc.a.net irc.a.net",
      "going home now",
      "see you.later alligator",
      "irc.a.net irc.b.net and more",
      "*.net *.split",
    ])
      assert.equal(isNetsplitQuit(message), false, String(message));
  });
});

describe("NetsplitDebounce", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  it("runs a held leave when the grace time is up, and forgets one the nick came back from", () => {
    const debounce = new NetsplitDebounce(60_000);
    const left: string[] = [];
    debounce.hold("Carol", "#Lobby", () => left.push("carol"));
    debounce.hold("dave", "#lobby", () => left.push("dave"));
    assert.equal(debounce.rejoined("carol", "#lobby"), true, "nick and channel compared case-insensitively");
    assert.equal(debounce.rejoined("carol", "#lobby"), false);
    mock.timers.tick(59_999);
    assert.deepEqual(left, []);
    mock.timers.tick(1);
    assert.deepEqual(left, ["dave"]);
    assert.equal(debounce.pending, 0);
  });
});

describe("IrcEvents membership", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"] }));
  afterEach(() => mock.timers.reset());

  it("holds a netsplit leave back; a rejoin within the grace time bridges neither the leave nor the join", async () => {
    const { client, events, memberships } = await setUp({ graceMs: 60_000 });
    client.emit("quit", { nick: "carol", message: "irc.a.net irc.b.net" });
    assert.deepEqual(memberships(), []);
    assert.equal(events.heldLeaves, 1);
    assert.deepEqual(events.membersOf("#lobby"), ["MatrixBridge", "Dave"]);
    mock.timers.tick(30_000);
    client.emit("join", { nick: "carol", channel: "#lobby" });
    mock.timers.tick(60_000);
    assert.deepEqual(memberships(), []);
    assert.deepEqual(events.membersOf("#lobby"), ["MatrixBridge", "Dave", "carol"]);
  });

  it("bridges the leave once the grace time runs out, with the split as its reason", async () => {
    const { client, calls, memberships } = await setUp({ graceMs: 60_000 });
    client.emit("quit", { nick: "Dave", message: "irc.a.net irc.b.net" });
    mock.timers.tick(59_000);
    assert.deepEqual(memberships(), []);
    mock.timers.tick(1_000);
    assert.deepEqual(memberships(), ["Dave leave"]);
    assert.equal(calls.find((c) => c.call === "membership")?.["reason"], "irc.a.net irc.b.net");
    client.emit("join", { nick: "Dave", channel: "#lobby" });
    assert.deepEqual(memberships(), ["Dave leave", "Dave join"], "a later return is a join again");
  });

  it("bridges an ordinary quit at once, and a split at once when the grace time is 0", async () => {
    const held = await setUp({ graceMs: 60_000 });
    held.client.emit("quit", { nick: "carol", message: "Quit: irc.a.net irc.b.net" });
    assert.deepEqual(held.memberships(), ["carol leave"]);
    const immediate = await setUp({ graceMs: 0 });
    immediate.client.emit("quit", { nick: "carol", message: "irc.a.net irc.b.net" });
    assert.deepEqual(immediate.memberships(), ["carol leave"]);
  });

  it("after the bot's own outage, bridges who came and went meanwhile from the new member list", async () => {
    const { client, memberships } = await setUp({ puppets: ["alice[m]"] });
    client.drop();
    client.register();
    client.emit("join", { nick: "MatrixBridge", channel: "#lobby" });
    client.emit("userlist", {
      channel: "#lobby",
      users: [{ nick: "MatrixBridge" }, { nick: "dave" }, { nick: "erin" }, { nick: "alice[m]" }],
    });
    assert.deepEqual(memberships(), ["carol leave", "erin join"]);
    client.emit("userlist", { channel: "#lobby", users: [{ nick: "MatrixBridge" }] });
    assert.deepEqual(memberships(), ["carol leave", "erin join"], "only the list after a reconnect counts");
  });

  it("does not report a first member list as joins", async () => {
    const { memberships } = await setUp();
    assert.deepEqual(memberships(), []);
  });
});

describe("IrcEvents messages", () => {
  it("mentions the nicks of Matrix users' puppets, and only those", async () => {
    const knownNicks = new Map([["alice{m}", "alice{m}"]]);
    const { client, calls } = await setUp({ knownNicks, puppets: ["alice[m]"] });
    client.emit("privmsg", {
      nick: "carol",
      target: "#lobby",
      message: "alice[m]: hi, and Dave too",
      tags: {},
    });
    const message = calls.find((c) => c.call === "message");
    assert.equal(message?.["kind"], "text");
    assert.deepEqual(message?.["text"], [
      { type: "mention", user: "alice{m}", name: "alice[m]" },
      { type: "text", text: ": hi, and Dave too" },
    ]);
  });

  it("reports nothing its own puppets say", async () => {
    const { client, calls } = await setUp({ puppets: ["alice[m]"] });
    client.emit("privmsg", { nick: "alice[m]", target: "#lobby", message: "echo", tags: {} });
    assert.equal(calls.length, 0);
  });
});
