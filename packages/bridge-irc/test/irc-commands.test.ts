import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type Command,
  type CommandContext,
  CommandUsageError,
  Logger,
  parseRoomId,
  parseUserId,
  SecretVault,
} from "bridge-core";
import { createIrcCommands } from "../src/irc-commands.ts";
import { IrcConnection } from "../src/irc-connection.ts";
import { PuppetPool } from "../src/puppet-pool.ts";
import { PuppetSettings } from "../src/puppet-settings.ts";
import { FakeIrcClient } from "./fake-irc-client.ts";

const alice = parseUserId("@alice:example.org");
const dm = parseRoomId("!dm:example.org");

async function setUp(options: { legacy?: SecretVault; puppetsEnabled?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "irc-commands-"));
  const store = new Map<string, unknown>();
  const logLines: string[] = [];
  const logger = Logger.create({ sink: { write: (line) => logLines.push(line) } });
  const vault = SecretVault.open(join(dir, "key"));
  const settings = new PuppetSettings({
    storage: {
      get: async (key) => store.get(key) ?? null,
      put: async (key, value) => void store.set(key, structuredClone(value)),
      delete: async (key) => void store.delete(key),
    },
    // As the core hands them over (network-context.ts): the bridge's key, opened secrets registered for scrubbing.
    secrets: {
      seal: (owner, plaintext) => vault.seal(owner, plaintext),
      open: (owner, sealed) => {
        const plaintext = vault.open(owner, sealed);
        if (plaintext !== null) logger.addSecret(plaintext);
        return plaintext;
      },
    },
    legacy: options.legacy ?? null,
    logger,
  });
  const clients: FakeIrcClient[] = [];
  const pool = new PuppetPool({
    server: { host: "irc.test", port: 6667, tls: false },
    nickTemplate: "{localpart}[m]",
    maxConnections: 10,
    choices: settings,
    createConnection: (o) => {
      const client = new FakeIrcClient();
      client.autoRegister = true;
      clients.push(client);
      return new IrcConnection(o, client.asClient());
    },
  });
  const botClient = new FakeIrcClient();
  const bot = new IrcConnection(
    { host: "irc.test", port: 6667, tls: false, nick: "MatrixBridge", username: "m", realname: "m" },
    botClient.asClient(),
  );
  const connecting = bot.connect();
  botClient.register();
  await connecting;
  const commands = new Map(
    createIrcCommands({
      puppetsEnabled: options.puppetsEnabled ?? true,
      pool,
      settings,
      bot,
      aliasOf: (channel) => `#irc_${channel}:example.org`,
    }).map((c): [string, Command] => [c.name, c]),
  );
  const replies: string[] = [];
  let hidden = 0;
  const run = async (name: string, args: string[], isManagementRoom = true) => {
    const context: CommandContext = {
      roomId: dm,
      sender: alice,
      args,
      text: args.join(" "),
      isManagementRoom,
      reply: async (text) => void replies.push(text),
      hideCommand: async () => void hidden++,
      openPortal: async (id) => assert.fail(`no command here opens a portal (${id})`),
    };
    try {
      await commands.get(name)!.run(context);
    } catch (err) {
      if (!(err instanceof CommandUsageError)) throw err;
      replies.push(`usage: ${err.message}`);
    }
    return replies.at(-1) ?? "";
  };
  after(() => rmSync(dir, { recursive: true, force: true }));
  return { run, replies, pool, clients, botClient, store, logLines, hidden: () => hidden };
}

describe("IRC commands", () => {
  it("nick: checks the nick, changes it live, and remembers it for later connections", async () => {
    const { run, pool, clients, store } = await setUp();
    assert.match(await run("nick", ["9lives"]), /usage: "9lives" is not a valid IRC nick/);
    assert.match(await run("nick", ["a", "b"]), /usage: Give one nick/);
    assert.match(await run("nick", ["matrixbridge"]), /the bridge's own nick/);
    assert.match(await run("nick", ["Alicia"]), /will use the nick Alicia when it next connects/);
    const puppet = await pool.ensure(alice);
    assert.equal(puppet.nick, "Alicia");
    const client = clients[0]!;
    const changing = run("nick", ["Ally"]);
    await new Promise((r) => setImmediate(r));
    assert.equal(client.lines().at(-1), "NICK Ally");
    assert.equal(pool.isPuppetNick("Ally"), true, "counted as the puppet's before the server answers");
    client.emit("nick", { nick: "Alicia", new_nick: "Ally" });
    assert.equal(await changing, "You are now Ally on IRC.");
    assert.equal(store.get("puppet-nick:@alice:example.org"), "Ally");
    const refused = run("nick", ["carol"]);
    await new Promise((r) => setImmediate(r));
    client.emit("nick in use", { nick: "carol" });
    assert.equal(await refused, "The IRC server refused: carol is already in use.");
    assert.equal(pool.isPuppetNick("carol"), false, "the other user's nick is theirs again");
  });

  it("join, listrooms, part: move the user's own connection and point at the portals", async () => {
    const { run, pool, clients } = await setUp();
    assert.match(await run("join", ["lobby"]), /usage: "lobby" is not an IRC channel name/);
    const joining = run("join", ["#Lobby"]);
    await new Promise((r) => setTimeout(r, 5));
    clients[0]!.emit("userlist", { channel: "#Lobby", users: [] });
    assert.equal(
      await joining,
      "alice[m] is in #Lobby on IRC. Its Matrix room is #irc_#lobby:example.org; join it to talk there.",
    );
    assert.equal(await run("listrooms", []), "alice[m] is in:\n#lobby — #irc_#lobby:example.org");
    assert.match(await run("part", ["#other"]), /not in #other/);
    assert.match(await run("part", ["#lobby"]), /You left #lobby on IRC/);
    assert.equal(clients[0]!.lines().at(-1), "PART #lobby Left from Matrix");
    assert.equal(await run("listrooms", []), "alice[m] is in no channels.");
    assert.match(await run("quit", []), /Your IRC connection is closed/);
    assert.equal(pool.get(alice), undefined);
    assert.match(await run("quit", []), /no IRC connection open/);
    assert.match(await run("listrooms", []), /no IRC connection open/);
  });

  it("whois: summarises the server's answer, or says nobody has the nick", async () => {
    const { run, botClient } = await setUp();
    const asking = run("whois", ["carol"]);
    botClient.emit("whois", {
      nick: "carol",
      ident: "carol",
      hostname: "127.0.0.1",
      real_name: "Carol C",
      server: "irc.test",
      channels: "@#lobby",
      account: "carolacct",
      idle: "42",
    });
    assert.equal(
      await asking,
      "carol is carol@127.0.0.1 (Carol C)\non irc.test\nlogged in as carolacct\nin @#lobby\nidle for 42 s",
    );
    const missing = run("whois", ["nobody"]);
    botClient.emit("whois", { nick: "nobody", error: "not_found" });
    assert.equal(await missing, "Nobody on IRC is called nobody.");
  });

  it("storepass: hides the message, keeps only the sealed password, logs the puppet in, never logs it", async () => {
    const { run, pool, clients, store, logLines, hidden } = await setUp();
    assert.match(await run("storepass", ["hunter2-password"], false), /in your DM with me/);
    assert.equal(hidden(), 1, "hidden even where it is refused");
    assert.equal(store.size, 0);
    await pool.ensure(alice);
    assert.match(await run("storepass", ["hunter2-password"]), /logs in to the account alice\[m\]/);
    assert.equal(hidden(), 2);
    assert.equal(clients[0]!.lines().at(-1), "PRIVMSG NickServ IDENTIFY alice[m] hunter2-password");
    assert.ok(!JSON.stringify([...store]).includes("hunter2"));
    assert.match(await run("storepass", ["aliceacct", "hunter2-password"]), /account aliceacct/);
    pool.disconnect(alice);
    await pool.ensure(alice);
    assert.deepEqual(clients[1]!.connects[0]?.account, {
      account: "aliceacct",
      password: "hunter2-password",
    });
    assert.match(await run("removepass", []), /forgotten/);
    assert.equal(clients[1]!.options?.account, undefined);
    assert.match(await run("removepass", []), /no password stored/);
    assert.ok(!logLines.join("").includes("hunter2"));
  });

  it("a password stored under passwords.key_file still logs in, and moves to the bridge's key", async () => {
    const legacyDir = mkdtempSync(join(tmpdir(), "irc-legacy-"));
    after(() => rmSync(legacyDir, { recursive: true, force: true }));
    const legacy = SecretVault.open(join(legacyDir, "irc-passwords.key"));
    const { pool, clients, store, logLines } = await setUp({ legacy });
    const old = { account: "aliceacct", password: legacy.seal(alice, "old-hunter2") };
    store.set(`puppet-login:${alice}`, old);
    await pool.ensure(alice);
    assert.deepEqual(clients[0]!.connects[0]?.account, { account: "aliceacct", password: "old-hunter2" });
    const moved = store.get(`puppet-login:${alice}`) as typeof old;
    assert.notDeepEqual(moved.password, old.password);
    assert.equal(legacy.open(alice, moved.password), null, "sealed with the bridge's key now");
    assert.match(logLines.join(""), /moved from passwords.key_file/);
    assert.ok(!logLines.join("").includes("old-hunter2"));
  });

  it("in relay mode, says there is no connection of one's own", async () => {
    const { run } = await setUp({ puppetsEnabled: false });
    for (const [name, args] of [
      ["nick", ["x"]],
      ["join", ["#x"]],
      ["quit", []],
      ["storepass", ["pw"]],
    ] as const)
      assert.match(await run(name, [...args]), /relays everyone through its bot/);
  });
});
