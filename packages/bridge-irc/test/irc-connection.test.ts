import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import {
  DeliveryUnconfirmedError,
  IrcConnection,
  MAX_QUEUED_LINES,
  NickRefusedError,
  reconnectDelay,
  UnsafeIrcParameterError,
} from "../src/irc-connection.ts";
import { FakeIrcClient } from "./fake-irc-client.ts";

const OPTIONS = {
  host: "irc.test",
  port: 6667,
  tls: false,
  nick: "alice[m]",
  username: "matrix",
  realname: "x",
};

async function connected(options: Partial<typeof OPTIONS> & Record<string, unknown> = {}) {
  const client = new FakeIrcClient();
  const connection = new IrcConnection({ ...OPTIONS, ...options }, client.asClient());
  const connecting = connection.connect();
  client.register();
  await connecting;
  return { client, connection };
}

describe("IrcConnection while its server is away", () => {
  it("keeps what is sent during an outage and sends it, in order, after rejoining its channels", async () => {
    const { client, connection } = await connected();
    const joined = connection.join("#Lobby");
    client.emit("userlist", { channel: "#lobby", users: [] });
    await joined;
    client.drop();
    assert.equal(connection.isRegistered, false);
    const before = client.sent.length;
    let delivered = false;
    const first = connection.sendLines("PRIVMSG", "#lobby", ["first", "second"]).then(() => {
      delivered = true;
    });
    const second = connection.sendLines("ACTION", "#lobby", ["waves"]);
    assert.equal(client.sent.length, before, "nothing goes to a dead socket");
    assert.equal(connection.queued, 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, false, "a waiting message is not delivered yet");
    client.register();
    await Promise.all([first, second]);
    assert.deepEqual(client.lines(before), [
      "JOIN #lobby",
      "PRIVMSG #lobby first",
      "PRIVMSG #lobby second",
      "PRIVMSG #lobby \x01ACTION waves\x01",
    ]);
    assert.equal(connection.queued, 0);
  });

  it("joins a channel asked for while down once it is back, without waiting for it", async () => {
    const { client, connection } = await connected();
    client.drop();
    await connection.join("#later");
    assert.ok(connection.channels.has("#later"));
    const before = client.sent.length;
    client.register();
    assert.deepEqual(client.lines(before), ["JOIN #later"]);
  });

  it("reports the outage and the return, with how long it lasted", async () => {
    const { client, connection } = await connected();
    const events: unknown[] = [];
    connection.on("down", () => events.push("down"));
    connection.on("up", (e) => events.push(e));
    client.drop();
    client.register();
    assert.equal(events[0], "down");
    const up = events[1] as { reconnect: boolean; downtimeMs: number };
    assert.equal(up.reconnect, true);
    assert.ok(up.downtimeMs >= 0);
  });

  it("refuses more than it can keep, and anything unsafe, without queueing half a message", async () => {
    const { client, connection } = await connected();
    client.drop();
    await assert.rejects(
      connection.sendLines("PRIVMSG", "#lobby", ["ok", "bad\r\nQUIT"]),
      UnsafeIrcParameterError,
    );
    assert.equal(connection.queued, 0);
    const waiting = connection.sendLines(
      "PRIVMSG",
      "#lobby",
      Array.from({ length: MAX_QUEUED_LINES }, (_, i) => `l${i}`),
    );
    await assert.rejects(connection.sendLines("PRIVMSG", "#lobby", ["one more"]), /too much/);
    connection.quit();
    await assert.rejects(waiting, /closed before the message went out/);
  });

  it("drops what waits when it quits, and refuses more", async () => {
    const { client, connection } = await connected();
    client.drop();
    const lost = connection.sendLines("PRIVMSG", "#lobby", ["lost"]);
    connection.quit("bye");
    await assert.rejects(lost, /closed before the message went out/);
    assert.equal(connection.queued, 0);
    assert.equal(client.quitMessage, "bye");
    await assert.rejects(connection.sendLines("PRIVMSG", "#lobby", ["late"]), /closed/);
  });

  it("asks for the chosen nick again after a drop, not the variant a collision gave", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection(OPTIONS, client.asClient());
    const connecting = connection.connect();
    client.emit("nick in use", { nick: "alice[m]" });
    assert.deepEqual(client.lines(), ["NICK alice[m]_1"]);
    client.register("alice[m]_1");
    await connecting;
    assert.equal(connection.nick, "alice[m]_1");
    client.drop();
    assert.equal(client.user.nick, "alice[m]", "irc-framework registers with user.nick on reconnect");
  });

  it("takes a short nick when the server calls the chosen one erroneous while registering", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection({ ...OPTIONS, nick: "averyveryverylongnick" }, client.asClient());
    const connecting = connection.connect();
    client.emit("nick invalid", { nick: "averyveryverylongnick" });
    assert.deepEqual(client.lines(), ["NICK averyver"]);
    client.register("averyver");
    await connecting;
  });

  it("fails a first connection the server closes at once, instead of waiting for the timeout", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection(OPTIONS, client.asClient());
    const connecting = connection.connect();
    client.emit("socket close", new Error("connect ECONNREFUSED"));
    client.emit("close");
    await assert.rejects(connecting, /ECONNREFUSED/);
  });
});

describe("IrcConnection confirming delivery", () => {
  it("counts lines delivered only once the server answered a PING sent after them", async () => {
    const { client, connection } = await connected();
    client.answersPings = false;
    let delivered = false;
    const sending = connection.sendLines("PRIVMSG", "#lobby", ["hello"]).then(() => {
      delivered = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(client.lines().slice(-1), ["PRIVMSG #lobby hello"]);
    assert.equal(client.pings.length, 1);
    assert.equal(delivered, false);
    client.emit("pong", { message: "someone else's token" });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivered, false);
    client.emit("pong", { message: client.pings[0] });
    await sending;
  });

  it("says the lines may or may not have arrived when the connection drops before the answer", async () => {
    const { client, connection } = await connected();
    client.answersPings = false;
    const sending = connection.sendLines("PRIVMSG", "#lobby", ["hello"]);
    await new Promise((resolve) => setImmediate(resolve));
    client.drop();
    await assert.rejects(sending, DeliveryUnconfirmedError);
  });
});

describe("IrcConnection reconnecting where irc-framework gives up", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"] }));
  afterEach(() => mock.timers.reset());

  it("keeps trying with irc-framework's backoff, capped", async () => {
    const { client, connection } = await connected({ reconnectMaxWaitMs: 4_000 });
    const attempts: { attempt: number; waitMs: number }[] = [];
    connection.on("reconnecting", (e) => attempts.push(e));
    for (let i = 0; i < 5; i++) {
      client.drop();
      client.emit("close");
      const wait = attempts.at(-1)!.waitMs;
      assert.ok(wait <= 4_000 + 6_000, `capped: ${wait}`);
      mock.timers.tick(wait);
      assert.equal(client.connects.length, 2 + i, "connects again after the wait");
    }
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2, 3, 4, 5],
    );
    client.register();
    client.drop();
    client.emit("close");
    assert.equal(attempts.at(-1)!.attempt, 1, "a registration starts the count again");
  });

  it("drops a reconnection the server accepted but never registered, so that it is tried again", async () => {
    const { client } = await connected();
    const ends: boolean[] = [];
    client.connection = { end: (_data: string | null, hadError: boolean) => void ends.push(hadError) };
    client.drop();
    client.emit("socket connected");
    mock.timers.tick(19_000);
    assert.deepEqual(ends, [], "still registering");
    mock.timers.tick(1_000);
    assert.deepEqual(ends, [true], "dropped as after an error, which irc-framework reconnects");
    client.emit("socket connected");
    client.register();
    mock.timers.tick(30_000);
    assert.deepEqual(ends, [true], "a registered connection is left alone");
  });

  it("does not come back after quitting", async () => {
    const { client, connection } = await connected();
    connection.quit();
    client.emit("close");
    mock.timers.tick(10 * 60_000);
    assert.equal(client.connects.length, 1);
  });

  it("computes delays like irc-framework: doubling from 1 s, capped, plus 1–6 s of jitter", () => {
    for (const [attempt, base] of [
      [0, 1_000],
      [1, 2_000],
      [3, 8_000],
      [10, 60_000],
    ] as const) {
      const delay = reconnectDelay(attempt, 60_000);
      assert.ok(delay >= base + 1_000 && delay <= base + 6_000, `${attempt}: ${delay}`);
    }
  });
});

describe("IrcConnection nick changes and lookups", () => {
  it("resolves with the new nick when the server confirms it", async () => {
    const { client, connection } = await connected();
    const changing = connection.changeNick("alice2");
    assert.deepEqual(client.lines().at(-1), "NICK alice2");
    client.emit("nick", { nick: "alice[m]", new_nick: "alice2" });
    assert.equal(await changing, "alice2");
    client.drop();
    assert.equal(client.user.nick, "alice2", "the new nick is asked for on reconnect");
  });

  it("rejects with the server's refusal", async () => {
    const { client, connection } = await connected();
    let changing = connection.changeNick("carol");
    client.emit("nick in use", { nick: "carol", reason: "Nickname is already in use" });
    await assert.rejects(
      changing,
      (err: Error) => err instanceof NickRefusedError && /in use/.test(err.message),
    );
    changing = connection.changeNick("c4rol");
    client.emit("nick invalid", { nick: "c4rol", reason: "Erroneous Nickname" });
    await assert.rejects(changing, /not a valid nick here \(Erroneous Nickname\)/);
    changing = connection.changeNick("dave");
    client.emit("unknown command", { command: "438", params: ["alice[m]", "dave", "Nick change too fast"] });
    await assert.rejects(changing, /refused: Nick change too fast/);
    await assert.rejects(connection.changeNick("bad nick"), UnsafeIrcParameterError);
  });

  it("refuses to change nick while down", async () => {
    const { client, connection } = await connected();
    client.drop();
    await assert.rejects(connection.changeNick("x"), /down/);
  });

  it("answers a WHOIS with the server's reply for that nick", async () => {
    const { client, connection } = await connected();
    const asking = connection.whois("Carol");
    assert.equal(client.lines().at(-1), "WHOIS Carol");
    client.emit("whois", { nick: "someone", ident: "x" });
    client.emit("whois", { nick: "carol", ident: "c", hostname: "h", account: "carolacct" });
    assert.deepEqual(await asking, { nick: "carol", ident: "c", hostname: "h", account: "carolacct" });
  });
});

describe("IrcConnection logging in", () => {
  const credentials = { account: "aliceacct", password: "s3cret-pass" };

  it("hands the account to irc-framework for SASL, and does not ask NickServ when SASL logged in", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection({ ...OPTIONS, credentials }, client.asClient());
    const connecting = connection.connect();
    assert.deepEqual(client.connects[0]?.account, credentials);
    client.emit("loggedin", { account: "aliceacct" });
    client.register();
    await connecting;
    assert.equal(connection.account, "aliceacct");
    assert.ok(!client.lines().some((l) => l.includes("IDENTIFY")));
  });

  it("identifies to NickServ when the server offers no SASL", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection({ ...OPTIONS, credentials }, client.asClient());
    const connecting = connection.connect();
    client.emit("sasl failed", { reason: "capability_missing" });
    client.register();
    await connecting;
    assert.deepEqual(client.lines(), ["PRIVMSG NickServ IDENTIFY aliceacct s3cret-pass"]);
  });

  it("does not send a password SASL refused to NickServ as well", async () => {
    const client = new FakeIrcClient();
    const connection = new IrcConnection({ ...OPTIONS, credentials }, client.asClient());
    const connecting = connection.connect();
    client.emit("sasl failed", { reason: "fail" });
    client.register();
    await connecting;
    assert.deepEqual(client.lines(), []);
  });

  it("logs in at once when credentials arrive while connected, and uses them on later connections", async () => {
    const { client, connection } = await connected();
    connection.setCredentials(credentials);
    assert.deepEqual(client.lines().at(-1), "PRIVMSG NickServ IDENTIFY aliceacct s3cret-pass");
    assert.deepEqual(client.options?.account, credentials);
    connection.setCredentials(undefined);
    assert.equal(client.options?.account, undefined);
    const before = client.sent.length;
    client.drop();
    client.register();
    assert.ok(!client.lines(before).some((l) => l.includes("IDENTIFY")));
  });
});
