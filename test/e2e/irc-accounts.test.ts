// The IRC bridge's account features against a real InspIRCd with Atheme services and a real Synapse: mentions both
// ways, the bot and puppets riding out a restart of the IRC server (with what was said meanwhile delivered after),
// a real netsplit (a second InspIRCd linked to the first, then stopped) whose leaves wait for the users to come back,
// the users' own commands (nick, join, part, whois, listrooms, quit, storepass, removepass) and, with room for a
// single puppet, the relay taking over for everyone else.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { filesUnder } from "../harness/files-under.ts";
import type { InspircdServer } from "../harness/irc/inspircd.ts";
import { ircNetwork } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { LEAF_NAME, startLinkedInspircd } from "../harness/irc/linked-inspircd.ts";
import { whois } from "../harness/irc/server-probes.ts";
import { type MatrixEvent, registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const NETSPLIT_GRACE_SECONDS = 5;
const PASSWORD = `pw-${randomBytes(8).toString("hex")}`;

describe("IRC accounts, reconnection and netsplits with InspIRCd, Atheme and Synapse", () => {
  const runDir = useRunDir("irc-accounts");
  let hub: InspircdServer;
  let leaf: InspircdServer;
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let bob: TestClient;
  let carol: IrcTestClient;
  let room: RoomId;
  let dm: RoomId;
  let puppetNick = "alice[m]";
  const domain = () => stack.synapse.serverName;
  const ghost = (nick: string) => `@irc_${nick}:${domain()}`;
  const bot = () => `@${stack.config.appservice.botUsername}:${domain()}`;
  const bridgeLog = () => readFileSync(stack.files.logPath, "utf8");

  /** Sends a command in the DM and resolves with the bot's next reply. */
  async function command(text: string): Promise<string> {
    const seen = new Set(alice.eventsSeen(dm).map((e) => e.event_id));
    await alice.sendText(dm, text);
    const reply = await alice.waitForEvent(
      (e) => e.sender === bot() && e.content["msgtype"] === "m.notice" && !seen.has(e.event_id),
      { roomId: dm, description: `the reply to "${text}"` },
    );
    return String(reply.content["body"]);
  }

  before(async () => {
    // Every channel keeps its history: whoever joins after the bridge came back still sees what it said.
    ({ hub, leaf } = await startLinkedInspircd(runDir, {
      extraModules: ["chanhistory"],
      defaultModes: "notH 100:1d",
    }));

    carol = await connectIrcClient({ host: hub.host, port: hub.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join("#lobby");
    await carol.join("#side");

    const config = {
      server: { host: hub.host, port: hub.port, name: "Test IRC" },
      bot: { nick: "MatrixBridge" },
      // Room for one puppet: the second Matrix user is relayed by the bot, or refused where relaying is off.
      puppets: { max_connections: 1 },
      netsplit_grace_seconds: NETSPLIT_GRACE_SECONDS,
      reconnect_max_wait_seconds: 4,
    };
    stack = await startBridgeStack<IrcNetwork>({
      runDir: runDir.path,
      plugin: ircNetwork(config),
      // Bridge admins may switch relaying in portals, where only the bot has power of its own.
      extraConfig: { bridge: { permissions: { "*": "admin" } } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    bob = await registerUser(stack.synapse, "bob", { displayName: "Bob" });
    runDir.addTeardown(() => bob.close());
    dm = await alice.createDirectMessage(bot());
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello"), {
      roomId: dm,
    });
    room = await alice.join(`#irc_#lobby:${domain()}`);
    await alice.sendText(room, "hello from matrix");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "hello from matrix",
    );
  });

  test("mentions: an IRC line addressing a puppet pills its Matrix user; Matrix pills become IRC nicks", async () => {
    carol.say("#lobby", `${puppetNick}: are you there?`);
    const pilled = await alice.waitForEvent(
      (e) => e.sender === ghost("carol") && e.content["body"] === `${puppetNick}: are you there?`,
      { roomId: room },
    );
    assert.equal(
      pilled.content["formatted_body"],
      `<a href="https://matrix.to/#/${alice.userId}">${puppetNick}</a>: are you there?`,
    );
    carol.say("#lobby", "carol talks about carol");
    const plain = await alice.waitForEvent((e) => e.content["body"] === "carol talks about carol", {
      roomId: room,
    });
    assert.equal(plain.content["formatted_body"], undefined, "an IRC user's nick is no pill");

    const pill = (userId: string, text: string) => `<a href="https://matrix.to/#/${userId}">${text}</a>`;
    await alice.sendMessage(room, {
      msgtype: "m.text",
      body: "Carol: hi, ask Alice or Bob",
      format: "org.matrix.custom.html",
      formatted_body: `${pill(ghost("carol"), "Carol")}: hi, ask ${pill(alice.userId, "Alice")} or ${pill(bob.userId, "Bob")}`,
    });
    const said = await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && /ask/.test(e.message!),
    );
    // The ghost becomes the IRC nick, a Matrix user their puppet's nick; without a puppet the pill's text stays.
    assert.equal(said.message, `carol: hi, ask ${puppetNick} or Bob`);
  });

  test("nick: refusals come back; a new nick changes the puppet live and is kept for its next connection", async () => {
    assert.match(await command("nick 9lives"), /not a valid IRC nick/);
    assert.match(await command("nick carol"), /The IRC server refused: carol is already in use/);
    assert.equal(await command("nick alice_new"), "You are now alice_new on IRC.");
    await carol.waitFor((e) => e.type === "nick" && e.nick === puppetNick && e.newNick === "alice_new");
    puppetNick = "alice_new";
    await alice.sendText(room, "after the nick change");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "after the nick change",
    );
    assert.ok(
      !alice
        .eventsSeen(room)
        .some((e) => e.state_key === ghost("alice_new") || e.state_key === ghost("alice[m]")),
      "the puppet's own nick change is no ghost's",
    );

    assert.match(await command("quit"), /Your IRC connection is closed/);
    await carol.waitFor((e) => e.type === "quit" && e.nick === puppetNick);
    await alice.sendText(room, "back after quit");
    const rejoined = await carol.waitFor(
      (e) => e.type === "join" && e.nick === "alice_new" && e.channel === "#lobby",
    );
    const said = await carol.waitFor((e) => e.type === "privmsg" && e.message === "back after quit");
    assert.equal(said.nick, "alice_new", "the chosen nick outlived the connection");
    assert.ok(said.receivedAt >= rejoined.receivedAt);
  });

  test("join, listrooms, whois, part", async () => {
    assert.equal(
      await command("join #side"),
      `${puppetNick} is in #side on IRC. Its Matrix room is #irc_#side:${domain()}; join it to talk there.`,
    );
    await carol.waitFor((e) => e.type === "join" && e.nick === puppetNick && e.channel === "#side");
    assert.equal(
      await command("listrooms"),
      `${puppetNick} is in:\n#lobby — #irc_#lobby:${domain()}\n#side — #irc_#side:${domain()}`,
    );
    const whoisReply = await command("whois carol");
    assert.match(whoisReply, /^carol is carol@\S+ \(carol\)/);
    assert.match(whoisReply, /#lobby/);
    assert.equal(await command("whois nobodyhere"), "Nobody on IRC is called nobodyhere.");
    assert.match(await command("part #side"), /You left #side on IRC/);
    await carol.waitFor((e) => e.type === "part" && e.nick === puppetNick && e.channel === "#side");
    assert.match(await command("listrooms"), new RegExp(`^${puppetNick} is in:\\n#lobby — `));
  });

  test("an IRC server restart: bot and puppet reconnect and rejoin, and what was said meanwhile arrives after", async (t) => {
    const dropsBefore = bridgeLog().split("lost the connection to IRC").length;
    await hub.stop();
    const stoppedAt = Date.now();
    await eventually(async () => {
      const log = bridgeLog();
      assert.ok(log.split("lost the connection to IRC").length > dropsBefore);
      assert.match(log, /puppet lost its IRC connection/);
    });
    const transactions = bridgeLog().split("transaction accepted").length;
    const sent = Array.from({ length: 20 }, (_, i) => `said during the outage ${i}`);
    for (const body of sent) await alice.sendText(room, body);
    // The bridge has the messages once the homeserver handed them over; the IRC server is still down then.
    await eventually(async () =>
      assert.ok(bridgeLog().split("transaction accepted").length >= transactions + 20),
    );
    await hub.start();
    const startedAt = Date.now();
    carol = await connectIrcClient({ host: hub.host, port: hub.port, nick: "carol" });
    await carol.join("#lobby");

    // The bot and the puppet may be back before carol or after her: she asks who is in the channel until both are,
    // and the channel's history shows her what was said before she joined.
    await eventually(async () => {
      const users = await carol.names("#lobby");
      assert.ok(
        users.includes("MatrixBridge") && users.includes(puppetNick),
        `in #lobby: ${users.join(" ")}`,
      );
    }, 40_000);
    const bothBack = Date.now();
    const said = await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === sent.at(-1),
      40_000,
    );
    const got = carol.events
      .filter((e) => e.type === "privmsg" && e.nick === puppetNick && sent.includes(String(e.message)))
      .map((e) => String(e.message));
    const lost = sent.filter((b) => !got.includes(b)).length;
    t.diagnostic(
      `IRC restart: sent ${sent.length}, arrived ${got.length}, lost ${lost}, duplicated ${got.length - new Set(got).size}`,
    );
    assert.deepEqual(got, sent, "every message held during the outage arrived once, in order");
    t.diagnostic(
      `IRC server down for ${startedAt - stoppedAt} ms; after it was back, the bot and the puppet were both in the channel within ${bothBack - startedAt} ms, and the held messages were seen after ${said.receivedAt - startedAt} ms`,
    );
    assert.match(bridgeLog(), /reconnected to IRC; rejoining channels/);
    assert.match(bridgeLog(), /puppet reconnected to IRC/);
    assert.ok(
      !alice.eventsSeen(room).some((e) => String(e.content["body"]).includes("could not be delivered")),
      "nothing was refused during the outage",
    );

    // Messages flow both ways again.
    carol.say("#lobby", "welcome back");
    await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === "welcome back", {
      roomId: room,
    });
  });

  test("a netsplit: leaves wait; who comes back within the grace time never left, the others leave after it", async () => {
    const dave = await connectIrcClient({ host: leaf.host, port: leaf.port, nick: "dave" });
    const erin = await connectIrcClient({ host: leaf.host, port: leaf.port, nick: "erin" });
    await dave.join("#lobby");
    await erin.join("#lobby");
    // Once both ghosts are in the room, the bot saw them across the link.
    for (const nick of ["dave", "erin"]) {
      await alice.waitForEvent((e) => e.state_key === ghost(nick) && e.content["membership"] === "join", {
        roomId: room,
        timeoutMs: 20_000,
      });
    }
    const membershipsAfter = (nick: string, since: number): MatrixEvent[] =>
      alice
        .eventsSeen(room)
        .slice(since)
        .filter((e) => e.type === "m.room.member" && e.state_key === ghost(nick));
    const since = alice.eventsSeen(room).length;
    await leaf.stop();
    const split = await carol.waitFor((e) => e.type === "quit" && e.nick === "dave");
    assert.equal(
      split.message,
      `${hub.name} ${LEAF_NAME}`,
      "the server's split message, as the bot saw it too",
    );
    const splitAt = Date.now();
    await dave.quit().catch(() => undefined);
    const daveAgain = await connectIrcClient({ host: hub.host, port: hub.port, nick: "dave" });
    runDir.addTeardown(() => daveAgain.quit());
    await daveAgain.join("#lobby");
    assert.ok(Date.now() - splitAt < NETSPLIT_GRACE_SECONDS * 1000, "dave came back within the grace time");

    const erinLeft = await alice.waitForEvent(
      (e) => e.state_key === ghost("erin") && e.content["membership"] === "leave",
      { roomId: room, timeoutMs: (NETSPLIT_GRACE_SECONDS + 10) * 1000 },
    );
    assert.equal(erinLeft.content["reason"], `${hub.name} ${LEAF_NAME}`);
    assert.ok(
      Date.now() - splitAt >= (NETSPLIT_GRACE_SECONDS - 1) * 1000,
      "erin's leave waited for the grace time",
    );
    // By now dave's leave would have been bridged with erin's; neither it nor a new join was.
    daveAgain.say("#lobby", "still here");
    await alice.waitForEvent((e) => e.sender === ghost("dave") && e.content["body"] === "still here", {
      roomId: room,
    });
    assert.deepEqual(membershipsAfter("dave", since), [], "dave never left the room");

    carol.raw("QUIT :going home");
    await alice.waitForEvent((e) => e.state_key === ghost("carol") && e.content["membership"] === "leave", {
      roomId: room,
      timeoutMs: 5_000,
    });
    carol = await connectIrcClient({ host: hub.host, port: hub.port, nick: "carol" });
    await carol.join("#lobby");
  });

  test("storepass: the message is hidden, the password is stored encrypted, and the puppet logs in", async () => {
    // An account on the network's services, registered the way any IRC user does it.
    const registrar = await connectIrcClient({ host: hub.host, port: hub.port, nick: "aliceacct" });
    registrar.say("NickServ", `REGISTER ${PASSWORD} alice@example.org`);
    await registrar.waitFor(
      (e) => e.type === "notice" && e.nick === "NickServ" && /registered/.test(e.message!),
    );
    await registrar.quit();

    const seen = new Set(alice.eventsSeen(dm).map((e) => e.event_id));
    const commandId = await alice.sendText(dm, `storepass aliceacct ${PASSWORD}`);
    const reply = await alice.waitForEvent(
      (e) => e.sender === bot() && e.content["msgtype"] === "m.notice" && !seen.has(e.event_id),
      { roomId: dm },
    );
    assert.match(String(reply.content["body"]), /Stored, encrypted. .* account aliceacct/);
    await alice.waitForEvent((e) => e.type === "m.room.redaction" && e.redacts === commandId, { roomId: dm });

    // The puppet, connected already, identified with NickServ at once.
    await eventually(
      async () => assert.equal((await whois(carol, puppetNick))["account"], "aliceacct"),
      15_000,
    );
    assert.match(bridgeLog(), /"msg":"puppet logged in to its services account"[^\n]*"method":"nickserv"/);

    // Sealed with the bridge's one key (store.key_file, beside the store), as every stored credential is.
    const { keyFile } = stack.config.store;
    const key = readFileSync(keyFile, "utf8");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(!key.includes(PASSWORD));
    // The plugin's record in the bridge's store holds the account and the sealed password only, and the command
    // that carried the password is scrubbed from the store's files once handled.
    await stack.bridge.queue.idle();
    const record = (await stack.bridge.store.getPluginData(`puppet-login:${alice.userId}`)) as {
      account: string;
      password: { data: string };
    } | null;
    assert.equal(record?.account, "aliceacct", "the login is stored");
    assert.notEqual(Buffer.from(record.password.data, "base64").toString("latin1"), PASSWORD);
    const store = filesUnder(stack.config.store.path).map((file) => readFileSync(file).toString("latin1"));
    assert.ok(!store.some((text) => text.includes(PASSWORD)), "no readable password in the store's files");
    assert.ok(!bridgeLog().includes(PASSWORD), "the password is in no log line");

    // A new connection logs in during registration, with SASL.
    assert.match(await command("quit"), /closed/);
    await carol.waitFor((e) => e.type === "quit" && e.nick === puppetNick);
    await alice.sendText(room, "logged in from the start");
    await carol.waitFor((e) => e.type === "privmsg" && e.message === "logged in from the start");
    assert.equal((await whois(carol, puppetNick))["account"], "aliceacct");
    assert.match(
      bridgeLog(),
      /"msg":"puppet logged in to its services account"[^\n]*"account":"aliceacct","method":"sasl"/,
    );
    assert.ok(!bridgeLog().includes(PASSWORD), "the password is in no log line");
  });

  test("removepass: the puppet stops logging in", async () => {
    assert.match(await command("removepass"), /forgotten/);
    assert.match(await command("removepass"), /no password stored/);
    assert.match(await command("quit"), /closed/);
    await carol.waitFor((e) => e.type === "quit" && e.nick === puppetNick);
    const since = carol.eventCount;
    await alice.sendText(room, "anonymous again");
    await carol.waitFor((e) => e.type === "privmsg" && e.message === "anonymous again", 10_000, { since });
    assert.equal((await whois(carol, puppetNick))["account"], undefined);
  });

  test("past the puppet cap: refused with the core's explanation, then relayed by the bot once relaying is on", async () => {
    await bob.join(room);
    await bob.sendText(room, "bob without a puppet");
    const refusal = await alice.waitForEvent(
      (e) =>
        e.sender === bot() && String(e.content["body"]).includes("your message was not sent to Test IRC"),
      { roomId: room },
    );
    assert.match(String(refusal.content["body"]), new RegExp(`^${bob.userId}: `));
    assert.ok(!carol.events.some((e) => e.message?.includes("bob without a puppet")));

    await alice.sendText(room, "!relay on");
    await alice.waitForEvent((e) => e.sender === bot() && /relay/i.test(String(e.content["body"])), {
      roomId: room,
    });
    await bob.sendText(room, "bob through the relay");
    const relayed = await carol.waitFor(
      (e) => e.type === "privmsg" && /bob through the relay/.test(e.message!),
    );
    assert.equal(relayed.nick, "MatrixBridge");
    assert.equal(relayed.message, "Bob: bob through the relay");
    await alice.sendText(room, "alice keeps her own");
    const own = await carol.waitFor((e) => e.type === "privmsg" && e.message === "alice keeps her own");
    assert.equal(own.nick, puppetNick);
  });
});
