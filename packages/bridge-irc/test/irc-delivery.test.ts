import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EventId, Logger } from "bridge-core";
import { ChannelLines } from "../src/channel-lines.ts";
import { IrcConnection } from "../src/irc-connection.ts";
import { IrcDelivery } from "../src/irc-delivery.ts";
import { FakeIrcClient } from "./fake-irc-client.ts";

const OPTIONS = { host: "irc.test", port: 6667, tls: false, username: "matrix", realname: "x" };
const EVENT = "$event1" as EventId;

async function connection(nick: string) {
  const client = new FakeIrcClient();
  const conn = new IrcConnection({ ...OPTIONS, nick }, client.asClient());
  const connecting = conn.connect();
  client.register();
  await connecting;
  return { client, conn };
}

/** A bot in #lobby whose view of the channel is complete, a puppet, and the delivery between them. */
async function setUp() {
  const bot = await connection("MatrixBridge");
  const puppet = await connection("alice[m]");
  const channelLines = new ChannelLines(bot.conn);
  const stored = new Map<string, unknown>();
  const delivery = new IrcDelivery({
    storage: {
      get: async (key) => stored.get(key),
      put: async (key, value) => void stored.set(key, value),
      delete: async (key) => void stored.delete(key),
    },
    channelLines,
    logger: Logger.create({ sink: { write: () => {} } }),
  });
  const say = (nick: string, message: string, msgid: string, batch?: boolean) =>
    bot.client.emit("privmsg", {
      nick,
      target: "#lobby",
      message,
      tags: { msgid },
      ...(batch && { batch: { type: "chathistory" } }),
    });
  bot.client.emit("join", { nick: "MatrixBridge", channel: "#lobby" });
  bot.client.emit("userlist", { channel: "#lobby", users: [] });
  /** The bot rejoins after a restart, and the server replays the channel's history. */
  const replay = (lines: [nick: string, message: string, msgid: string][]) => {
    bot.client.emit("join", { nick: "MatrixBridge", channel: "#lobby" });
    bot.client.emit("userlist", { channel: "#lobby", users: [] });
    bot.client.emit("batch start chathistory", { params: ["#lobby"] });
    for (const [nick, message, msgid] of lines) say(nick, message, msgid, true);
    bot.client.emit("batch end chathistory", { params: ["#lobby"] });
  };
  const send = (lines: string[], mayHaveBeenSent = false) =>
    delivery.send({
      connection: puppet.conn,
      kind: "PRIVMSG",
      target: "#lobby",
      lines,
      eventId: EVENT,
      ...(mayHaveBeenSent && { mayHaveBeenSent }),
    });
  const sentToChannel = () => puppet.client.lines().filter((line) => line.startsWith("PRIVMSG #lobby"));
  return { say, replay, send, sentToChannel };
}

describe("IrcDelivery sending a message again after a crash or a drop", () => {
  it("sends only the lines the channel does not have yet", async () => {
    const { say, replay, send, sentToChannel } = await setUp();
    say("carol", "hi", "m1");
    // The first attempt: cut short after its first line reached the channel.
    await send(["one", "two", "three"]);
    replay([
      ["carol", "hi", "m1"],
      ["alice[m]", "one", "m2"],
      ["carol", "meanwhile", "m3"],
    ]);
    const before = sentToChannel().length;
    await send(["one", "two", "three"], true);
    assert.deepEqual(sentToChannel().slice(before), ["PRIVMSG #lobby two", "PRIVMSG #lobby three"]);
  });

  it("sends nothing when all of it arrived, and everything when none did", async () => {
    const first = await setUp();
    first.say("carol", "hi", "m1");
    await first.send(["done"]);
    first.replay([
      ["carol", "hi", "m1"],
      ["alice[m]", "done", "m2"],
    ]);
    const count = first.sentToChannel().length;
    await first.send(["done"], true);
    assert.equal(first.sentToChannel().length, count);

    const second = await setUp();
    second.say("carol", "hi", "m1");
    await second.send(["ok"]);
    // The same words said earlier by the same nick do not count: only what follows the recorded line does.
    second.replay([
      ["alice[m]", "ok", "m0"],
      ["carol", "hi", "m1"],
    ]);
    const before = second.sentToChannel().length;
    await second.send(["ok"], true);
    assert.deepEqual(second.sentToChannel().slice(before), ["PRIVMSG #lobby ok"]);
  });

  it("sends everything again when the channel's view cannot tell", async () => {
    const { replay, send, sentToChannel } = await setUp();
    // No line with a msgid was ever seen in the channel: nothing to look after.
    await send(["hello"]);
    replay([["alice[m]", "hello", "m9"]]);
    const before = sentToChannel().length;
    await send(["hello"], true);
    assert.deepEqual(sentToChannel().slice(before), ["PRIVMSG #lobby hello"]);
  });
});
