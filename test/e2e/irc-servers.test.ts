// The IRC server harness against the real servers the IRC bridge is proven on: if these fail, every IRC suite would
// fail for reasons that have nothing to do with the bridge.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ErgoServer } from "../harness/irc/ergo.ts";
import { ErgoUnavailableError, ensureErgoInstalled } from "../harness/irc/ergo-install.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { connectIrcClient, type IrcEvent, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { NgircdServer } from "../harness/irc/ngircd.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { type SuiteRunDir, useRunDir } from "../harness/run-dir.ts";

// ergo is built from the Go module proxy; where the proxy refuses to serve it, its suite is skipped with the reason
// rather than failed, and any other install failure fails the file.
const ergoSkipReason = await ensureErgoInstalled().then(
  () => false as const,
  (error: unknown) => {
    if (error instanceof ErgoUnavailableError) return `ergo cannot be built here: ${error.message}`;
    throw error;
  },
);

function isMessage(type: IrcEvent["type"], from: string, text: string): (event: IrcEvent) => boolean {
  return (event) =>
    event.type === type && event.nick === from && event.target === "#test" && event.message === text;
}

interface ServerSuite {
  run: SuiteRunDir;
  server: () => IrcServer;
  connect: (nick: string, sasl?: { account: string; password: string }) => Promise<IrcTestClient>;
}

/** Starts the server before the suite's tests and tears it and every client down after them. */
function useServer(label: string, create: (runDir: string) => Promise<IrcServer>): ServerSuite {
  const run = useRunDir(label);
  let server: IrcServer | undefined;
  before(async () => {
    server = await create(run.path);
    const created = server;
    run.addTeardown((failed) => created.destroy(failed));
    await created.start();
  });
  const current = (): IrcServer => {
    if (!server) throw new Error(`the ${label} server exists only once the suite's hooks run`);
    return server;
  };
  return {
    run,
    server: current,
    async connect(nick, sasl) {
      const { host, port } = current();
      const client = await connectIrcClient({ host, port, nick, ...(sasl ? { sasl } : {}) });
      run.addTeardown(() => client.quit());
      return client;
    },
  };
}

/** What every server must do: two users in a channel see each other's messages, actions and notices. */
function itRelaysChannelTraffic(suite: ServerSuite): void {
  it("relays messages, actions and notices between two clients in a channel", async () => {
    const alice = await suite.connect("alice");
    const bob = await suite.connect("bob");
    await alice.join("#test");
    await bob.join("#test");
    await alice.waitFor(
      (event) => event.type === "join" && event.nick === "bob" && event.channel === "#test",
    );

    alice.say("#test", "hello bob");
    await bob.waitFor(isMessage("privmsg", "alice", "hello bob"), 5_000, { description: "alice's message" });
    alice.action("#test", "waves");
    await bob.waitFor(isMessage("action", "alice", "waves"), 5_000, { description: "alice's action" });
    bob.notice("#test", "a notice");
    await alice.waitFor(isMessage("notice", "bob", "a notice"), 5_000, { description: "bob's notice" });

    // Nothing arrives twice, and nobody hears their own messages back.
    assert.equal(bob.events.filter(isMessage("privmsg", "alice", "hello bob")).length, 1);
    assert.equal(
      alice.events.filter((event) => event.type === "privmsg" && event.nick === "alice").length,
      0,
    );
  });
}

function itRestarts(suite: ServerSuite): void {
  it("accepts clients again after a restart", async () => {
    const server = suite.server();
    const firstPid = server.pid;
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    const dave = await suite.connect("dave");
    await dave.join("#test");
  });
}

function itStopsByPid(suite: ServerSuite): void {
  it("stops the server process", async () => {
    const server = suite.server();
    const pid = server.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 0);
    await server.stop();
    assert.equal(server.pid, undefined);
    assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
  });
}

/** A new connection as `nick` logs in to the account with SASL PLAIN, and one with a wrong password is refused. */
async function assertSaslLogin(
  suite: ServerSuite,
  nick: string,
  sasl: { account: string; password: string },
): Promise<void> {
  const client = await suite.connect(nick, sasl);
  const login = await client.waitFor((event) => event.type === "loggedin");
  assert.equal(login.account, sasl.account);

  await assert.rejects(
    connectIrcClient({
      host: suite.server().host,
      port: suite.server().port,
      nick: "mallory",
      sasl: { account: sasl.account, password: "wrong" },
    }),
    /SASL failed/,
  );
}

/** A notice from NickServ whose text, without formatting, contains `text`. */
function fromNickServ(text: string): (event: IrcEvent) => boolean {
  return (event) =>
    event.type === "notice" &&
    event.nick === "NickServ" &&
    (event.message ?? "").replaceAll("\u0002", "").includes(text);
}

describe("ergo", { skip: ergoSkipReason }, () => {
  const suite = useServer("irc-ergo", (runDir) => ErgoServer.create({ runDir }));

  itRelaysChannelTraffic(suite);

  it("registers an account with NickServ and logs in with SASL PLAIN from a new connection", async () => {
    const carol = await suite.connect("carol");
    carol.say("NickServ", "REGISTER correct-horse");
    // ergo answers a NickServ registration, and the login that comes with it, in notices only (no 900 numeric).
    const fromNickServ = (text: string) => (event: IrcEvent) =>
      event.type === "notice" && event.nick === "NickServ" && event.message === text;
    await carol.waitFor(fromNickServ("Account created"), 5_000, { description: "NickServ's confirmation" });
    await carol.waitFor(fromNickServ("You're now logged in as carol"));

    await assertSaslLogin(suite, "carol2", { account: "carol", password: "correct-horse" });
  });

  it("keeps accounts across a restart", async () => {
    const server = suite.server();
    const firstPid = server.pid;
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    const carol = await suite.connect("carol3", { account: "carol", password: "correct-horse" });
    assert.equal((await carol.waitFor((event) => event.type === "loggedin")).account, "carol");
  });

  itStopsByPid(suite);
});

describe("InspIRCd", () => {
  const suite = useServer("irc-inspircd", (runDir) => InspircdServer.create({ runDir }));

  itRelaysChannelTraffic(suite);
  itRestarts(suite);
  itStopsByPid(suite);
});

describe("InspIRCd with Atheme services", () => {
  let inspircd: InspircdServer | undefined;
  const suite = useServer("irc-inspircd-atheme", async (runDir) => {
    inspircd = await InspircdServer.create({ runDir, options: { services: true } });
    return inspircd;
  });
  const services = () => {
    assert.ok(inspircd?.services, "the server was created with services");
    return inspircd.services;
  };

  itRelaysChannelTraffic(suite);

  it("registers an account with NickServ and logs in with SASL PLAIN from a new connection", async () => {
    const carol = await suite.connect("carol");
    // Atheme always asks for an email address; with `auth = none` nothing is sent to it.
    carol.say("NickServ", "REGISTER correct-horse carol@example.test");
    await carol.waitFor(fromNickServ("carol is now registered to carol@example.test"), 5_000, {
      description: "NickServ's confirmation",
    });
    // Registering logs the new account in, which the server reports with 900.
    assert.equal((await carol.waitFor((event) => event.type === "loggedin")).account, "carol");

    await assertSaslLogin(suite, "carol2", { account: "carol", password: "correct-horse" });
  });

  it("logs in with NickServ IDENTIFY", async () => {
    const erin = await suite.connect("erin");
    erin.say("NickServ", "IDENTIFY carol wrong");
    await erin.waitFor(fromNickServ("Invalid password for carol"), 5_000, {
      description: "NickServ's refusal",
    });
    assert.equal(erin.events.filter((event) => event.type === "loggedin").length, 0);

    erin.say("NickServ", "IDENTIFY carol correct-horse");
    await erin.waitFor(fromNickServ("You are now identified for carol"), 5_000, {
      description: "NickServ's confirmation",
    });
    assert.equal((await erin.waitFor((event) => event.type === "loggedin")).account, "carol");
  });

  it("restarts with the services and keeps accounts", async () => {
    const server = suite.server();
    const firstPids = [server.pid, services().pid];
    await server.restart();
    assert.notEqual(server.pid, firstPids[0]);
    assert.notEqual(services().pid, firstPids[1]);
    const carol = await suite.connect("carol3", { account: "carol", password: "correct-horse" });
    assert.equal((await carol.waitFor((event) => event.type === "loggedin")).account, "carol");
  });

  it("stops the services with the server", async () => {
    const server = suite.server();
    const pids = [server.pid, services().pid];
    for (const pid of pids) {
      assert.ok(pid !== undefined);
      process.kill(pid, 0);
    }
    await server.stop();
    assert.equal(server.pid, undefined);
    assert.equal(services().pid, undefined);
    for (const pid of pids) assert.throws(() => process.kill(pid ?? 0, 0), { code: "ESRCH" });
  });
});

describe("ngIRCd", () => {
  const suite = useServer("irc-ngircd", (runDir) => NgircdServer.create({ runDir }));

  itRelaysChannelTraffic(suite);
  itRestarts(suite);
  itStopsByPid(suite);
});
