import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { parseUserId, type UserId } from "bridge-core";
import { IrcConnection } from "../src/irc-connection.ts";
import type { Credentials } from "../src/irc-login.ts";
import { PuppetPool, type PuppetPoolOptions } from "../src/puppet-pool.ts";
import { FakeIrcClient } from "./fake-irc-client.ts";

const alice = parseUserId("@alice:example.org");
const bob = parseUserId("@bob:example.org");

function pool(options: Partial<PuppetPoolOptions> & { nicks?: Record<string, string> } = {}) {
  const clients = new Map<string, FakeIrcClient>();
  const counts: number[] = [];
  const credentials = new Map<UserId, Credentials>();
  const pool = new PuppetPool({
    server: { host: "irc.test", port: 6667, tls: false },
    nickTemplate: "{localpart}[m]",
    maxConnections: 10,
    choices: {
      nick: async (userId) => options.nicks?.[userId],
      credentials: async (userId) => credentials.get(userId),
    },
    onCountChange: (n) => counts.push(n),
    createConnection: (o) => {
      const client = new FakeIrcClient();
      client.autoRegister = true;
      clients.set(o.realname, client);
      return new IrcConnection(o, client.asClient());
    },
    ...options,
  });
  return { pool, clients, counts, credentials };
}

describe("PuppetPool", () => {
  it("connects a user once, with the nick they chose, and reports the connected count", async () => {
    const { pool: p, clients, counts } = pool({ nicks: { [alice]: "Alicia" } });
    const [a, b] = await Promise.all([p.ensure(alice), p.ensure(alice)]);
    assert.equal(a, b);
    assert.equal(a.nick, "Alicia");
    assert.equal(clients.size, 1);
    await p.ensure(bob);
    assert.equal(p.nickFor(bob), "bob[m]");
    assert.deepEqual(counts, [1, 2]);
    clients.get(alice)!.drop();
    assert.deepEqual(counts, [1, 2, 1], "a dropped connection no longer counts");
    clients.get(alice)!.register();
    assert.deepEqual(counts, [1, 2, 1, 2]);
  });

  it("logs a puppet in with the user's stored credentials", async () => {
    const { pool: p, clients, credentials } = pool();
    credentials.set(alice, { account: "alice", password: "secretpw" });
    await p.ensure(alice);
    assert.deepEqual(clients.get(alice)!.connects[0]?.account, { account: "alice", password: "secretpw" });
  });

  it("stops giving puppets at the cap", async () => {
    const { pool: p } = pool({ maxConnections: 1 });
    assert.equal(p.canHave(alice), true);
    await p.ensure(alice);
    assert.equal(p.canHave(alice), true, "a user with a puppet keeps it");
    assert.equal(p.canHave(bob), false);
    p.disconnect(alice);
    assert.equal(p.canHave(bob), true, "a closed puppet frees its place");
  });

  it("knows puppets' nicks, current and recent, so neither their messages nor their leaving are bridged", async () => {
    const { pool: p, clients } = pool();
    const puppet = await p.ensure(alice);
    assert.equal(p.isPuppetNick("ALICE[M]"), true);
    assert.equal(p.knownNicks().get("alice{m}"), alice, "rfc1459 case mapping");
    clients.get(alice)!.emit("nick", { nick: "alice[m]", new_nick: "alice2" });
    clients.get(alice)!.user.nick = "alice2";
    assert.equal(puppet.nick, "alice2");
    assert.equal(p.isPuppetNick("alice[m]"), true, "the old nick's NICK may still be on its way to the bot");
    assert.deepEqual([...p.knownNicks()], [["alice2", alice]]);
    p.disconnect(alice, "bye");
    assert.equal(p.isPuppetNick("alice2"), true, "its QUIT may still be on its way to the bot");
    assert.deepEqual(
      [...p.knownNicks()],
      [["alice2", alice]],
      "mentions of a closed puppet still mean its user",
    );
    assert.deepEqual(
      [...p.knownNicks((nick) => nick === "alice2")],
      [],
      "unless someone on IRC took the nick",
    );
    p.expectNick("carol");
    p.forgetNick("carol");
    assert.equal(p.isPuppetNick("carol"), false);
  });
});

describe("PuppetPool idle timeout", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"] }));
  afterEach(() => mock.timers.reset());

  it("disconnects a puppet without Matrix activity for the timeout, and connects it again when needed", async () => {
    const { pool: p, clients } = pool({ idleTimeoutMs: 10 * 60_000 });
    await p.ensure(alice);
    mock.timers.tick(9 * 60_000);
    p.touch(alice);
    mock.timers.tick(9 * 60_000);
    assert.ok(p.get(alice), "activity restarted the clock");
    mock.timers.tick(60_000);
    assert.equal(p.get(alice), undefined);
    assert.equal(clients.get(alice)!.quitMessage, "Idle");
    const again = await p.ensure(alice);
    assert.ok(again.isRegistered);
  });

  it("keeps a puppet whose messages still wait for an outage to end", async () => {
    const { pool: p, clients } = pool({ idleTimeoutMs: 60_000 });
    const puppet = await p.ensure(alice);
    clients.get(alice)!.drop();
    puppet.sendLines("PRIVMSG", "#lobby", ["waiting"]);
    mock.timers.tick(60_000);
    assert.ok(p.get(alice));
  });

  it("never disconnects with a timeout of 0", async () => {
    const { pool: p } = pool({ idleTimeoutMs: 0 });
    await p.ensure(alice);
    mock.timers.tick(365 * 24 * 3_600_000);
    assert.ok(p.get(alice));
  });
});
