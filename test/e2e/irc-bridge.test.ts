// The IRC bridge against real IRC servers (Debian's InspIRCd and ngIRCd) and a real Synapse, with real IRC clients
// (irc-framework) on the other side: portals by alias, messages, actions and notices both ways with formatting,
// membership and nick changes (a renamed ghost), topics, long and multi-line messages — and hostile input that must not inject a
// single IRC command or lose a byte.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { NgircdServer } from "../harness/irc/ngircd.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { MatrixRequestError } from "../harness/matrix-request.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const SERVERS: [string, (runDir: string) => Promise<IrcServer>][] = [
  ["InspIRCd", (runDir) => InspircdServer.create({ runDir })],
  ["ngIRCd", (runDir) => NgircdServer.create({ runDir })],
];

for (const [software, createServer] of SERVERS)
  describe(`IRC bridge with ${software} and Synapse`, () => {
    const runDir = useRunDir(`irc-bridge-${software.toLowerCase()}`);
    let server: IrcServer;
    let stack: BridgeStack<IrcNetwork>;
    let alice: TestClient;
    let carol: IrcTestClient;
    let room: RoomId;
    const ghost = (nick: string) => `@irc_${nick}:${stack.synapse.serverName}`;
    const puppetNick = "alice[m]";

    before(async () => {
      server = await createServer(runDir.path);
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
      runDir.addTeardown(() => carol.quit());
      await carol.join("#lobby");
      stack = await startIrcBridgeStack({ runDir: runDir.path, server });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
    });

    test("joining #irc_#lobby creates the portal; the bot joins the channel and IRC members get ghosts", async () => {
      room = await alice.join(`#irc_#lobby:${stack.synapse.serverName}`);
      await carol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === "#lobby");
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.member" && e.state_key === ghost("carol") && e.content["membership"] === "join",
        { roomId: room },
      );
    });

    test("IRC messages, actions and notices arrive from the sender's ghost, formatting as HTML", async () => {
      carol.say("#lobby", "hello \x02matrix\x02 <3");
      const message = await alice.waitForEvent(
        (e) => e.sender === ghost("carol") && e.content["body"] === "hello matrix <3",
        { roomId: room },
      );
      assert.equal(message.content["msgtype"], "m.text");
      assert.equal(message.content["formatted_body"], "hello <b>matrix</b> &lt;3");
      carol.action("#lobby", "waves");
      await alice.waitForEvent(
        (e) =>
          e.sender === ghost("carol") && e.content["msgtype"] === "m.emote" && e.content["body"] === "waves",
        { roomId: room },
      );
      carol.notice("#lobby", "a notice");
      await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["msgtype"] === "m.notice", {
        roomId: room,
      });
    });

    test("Matrix messages go out through the user's own IRC connection, formatting as IRC codes", async () => {
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "hello irc",
        format: "org.matrix.custom.html",
        formatted_body: "hello <b>irc</b>",
      });
      const said = await carol.waitFor(
        (e) => e.type === "privmsg" && e.channel === "#lobby" && e.nick === puppetNick,
      );
      // Formatting ends with the line on IRC, so no closing code is needed.
      assert.equal(said.message, "hello \x02irc");
      await alice.sendMessage(room, { msgtype: "m.emote", body: "dances" });
      await carol.waitFor((e) => e.type === "action" && e.nick === puppetNick && e.message === "dances");
      await alice.sendMessage(room, { msgtype: "m.notice", body: "notice from matrix" });
      await carol.waitFor(
        (e) => e.type === "notice" && e.nick === puppetNick && e.message === "notice from matrix",
      );
    });

    test("hostile input cannot inject IRC commands, and nothing of it is lost", async () => {
      const hostile = "first\r\nQUIT :injected\r\nPRIVMSG #lobby :fake\0tail";
      await alice.sendText(room, hostile);
      await alice.sendText(room, "after the hostile one");
      await carol.waitFor(
        (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "after the hostile one",
      );
      const lines = carol.events
        .filter((e) => e.type === "privmsg" && e.nick === puppetNick)
        .map((e) => e.message);
      assert.ok(lines.includes("first"));
      assert.ok(lines.includes("QUIT :injected"), "the would-be command arrives as text");
      assert.ok(lines.includes("PRIVMSG #lobby :faketail"), "NUL removed, the rest kept");
      assert.ok(
        !carol.events.some((e) => e.type === "quit" && e.nick === puppetNick),
        "the puppet did not quit",
      );

      const long = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(" ");
      assert.ok(Buffer.byteLength(long) > 10_000);
      await alice.sendText(room, long);
      await alice.sendText(room, "after the long one");
      await carol.waitFor(
        (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "after the long one",
      );
      const start = carol.events.findIndex((e) => e.type === "privmsg" && e.message?.startsWith("w0 w1 "));
      const end = carol.events.findIndex((e) => e.type === "privmsg" && e.message === "after the long one");
      const pieces = carol.events
        .slice(start, end)
        .filter((e) => e.type === "privmsg" && e.nick === puppetNick);
      assert.ok(pieces.length > 1, "split into several lines");
      // Lines break at spaces; some servers trim a space at the end of a line, so the words are what must arrive.
      const words = pieces.flatMap((e) =>
        String(e.message)
          .split(" ")
          .filter((w) => w !== ""),
      );
      const sent = long.split(" ");
      assert.ok(
        words.length === sent.length && words.every((w, i) => w === sent[i]),
        `every word arrived, in order (${words.length} of ${sent.length})`,
      );
      assert.ok(
        pieces.every(
          (e) => Buffer.byteLength(`:${puppetNick}!matrix@x PRIVMSG #lobby :${e.message}\r\n`) <= 512,
        ),
      );
    });

    test("a message of many lines goes out as a link to the full text", async () => {
      const text = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join("\n");
      await alice.sendText(room, text);
      const said = await carol.waitFor(
        (e) => e.type === "privmsg" && e.nick === puppetNick && String(e.message).includes("full message:"),
      );
      const url = /full message: (\S+)\)/.exec(String(said.message))?.[1];
      assert.ok(url, said.message);
      // Opened exactly as posted, as an IRC user would: no Matrix token. Without media.public_url the link is the
      // bridge's own listener, never the homeserver (which serves media to Matrix users only).
      assert.ok(url.startsWith(`${stack.files.bridgeUrl}/_media/v1/`), url);
      const download = await fetch(url);
      assert.equal(download.status, 200);
      assert.equal(await download.text(), text);
    });

    test("joins, parts, nick changes and topics on IRC show in the room", async () => {
      const dave = await connectIrcClient({ host: server.host, port: server.port, nick: "dave" });
      await dave.join("#lobby");
      await alice.waitForEvent((e) => e.state_key === ghost("dave") && e.content["membership"] === "join", {
        roomId: room,
      });
      // A nick change renames the person's ghost: a display-name change, not another ghost.
      dave.raw("NICK davey");
      await alice.waitForEvent(
        (e) =>
          e.state_key === ghost("dave") &&
          e.content["membership"] === "join" &&
          e.content["displayname"] === "davey",
        { roomId: room },
      );
      dave.say("#lobby", "still me");
      await alice.waitForEvent((e) => e.sender === ghost("dave") && e.content["body"] === "still me", {
        roomId: room,
      });
      assert.ok(!alice.eventsSeen(room).some((e) => e.state_key === ghost("davey")), "no second ghost");
      carol.raw("TOPIC #lobby :Welcome to the lobby");
      await alice.waitForEvent(
        (e) => e.type === "m.room.topic" && e.content["topic"] === "Welcome to the lobby",
        { roomId: room },
      );
      dave.part("#lobby", "bye");
      await alice.waitForEvent((e) => e.state_key === ghost("dave") && e.content["membership"] === "leave", {
        roomId: room,
      });
      await dave.quit();
    });

    test("private messages cross both ways, one DM per pair", async () => {
      carol.say(puppetNick, "psst, alice");
      const dm = await alice.waitForInvite((e) => e.sender === ghost("carol"));
      await alice.join(dm);
      await alice.waitForEvent((e) => e.sender === ghost("carol") && e.content["body"] === "psst, alice", {
        roomId: dm,
      });
      await alice.sendText(dm, "psst, carol");
      const reply = await carol.waitFor(
        (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "psst, carol",
      );
      assert.equal(reply.target, "carol");

      const erin = await connectIrcClient({ host: server.host, port: server.port, nick: "erin" });
      const started = await alice.createDirectMessage(ghost("erin"));
      await alice.waitForEvent((e) => e.state_key === ghost("erin") && e.content["membership"] === "join", {
        roomId: started,
      });
      await alice.sendText(started, "hello erin");
      await erin.waitFor((e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "hello erin");
      await erin.quit();
    });

    test("operators, channel modes, topics and kicks cross both ways", async () => {
      const power = async () =>
        (await alice.getState<{ users: Record<string, number> }>(room, "m.room.power_levels"))?.users ?? {};
      assert.equal(
        (await power())[ghost("carol")],
        50,
        "carol is a channel operator, so a moderator in the room",
      );

      carol.raw(`MODE #lobby +o ${puppetNick}`);
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.power_levels" &&
          (e.content["users"] as Record<string, number>)[alice.userId] === 50,
        { roomId: room },
      );

      await alice.sendState(room, "m.room.topic", "", { topic: "topic from Matrix" });
      await carol.waitFor(
        (e) => e.type === "topic" && e.nick === puppetNick && e.message === "topic from Matrix",
      );

      carol.raw("MODE #lobby +i");
      await alice.waitForEvent((e) => e.type === "m.room.join_rules" && e.content["join_rule"] === "invite", {
        roomId: room,
      });
      carol.raw("MODE #lobby -i");
      await alice.waitForEvent((e) => e.type === "m.room.join_rules" && e.content["join_rule"] === "public", {
        roomId: room,
      });

      const frank = await connectIrcClient({ host: server.host, port: server.port, nick: "frank" });
      await frank.join("#lobby");
      await alice.waitForEvent((e) => e.state_key === ghost("frank") && e.content["membership"] === "join", {
        roomId: room,
      });
      await alice.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/kick`, {
        user_id: ghost("frank"),
        reason: "be nice",
      });
      const kicked = await carol.waitFor((e) => e.type === "kick" && e.kicked === "frank");
      assert.equal(kicked.nick, puppetNick);
      assert.equal(kicked.message, "be nice");
      await frank.quit();

      const gina = await connectIrcClient({ host: server.host, port: server.port, nick: "gina" });
      await gina.join("#lobby");
      await alice.waitForEvent((e) => e.state_key === ghost("gina") && e.content["membership"] === "join", {
        roomId: room,
      });
      await alice.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/ban`, {
        user_id: ghost("gina"),
        reason: "spam",
      });
      await carol.waitFor(
        (e) => e.type === "mode" && e.nick === puppetNick && String(e.modes).includes("gina!*@*"),
      );
      await carol.waitFor((e) => e.type === "kick" && e.kicked === "gina");
      await gina.quit();

      const hank = await connectIrcClient({ host: server.host, port: server.port, nick: "hank" });
      await hank.join("#lobby");
      await alice.waitForEvent((e) => e.state_key === ghost("hank") && e.content["membership"] === "join", {
        roomId: room,
      });
      carol.raw("MODE #lobby +b hank!*@*");
      const banned = await alice.waitForEvent(
        (e) => e.state_key === ghost("hank") && e.content["membership"] === "ban",
        { roomId: room },
      );
      assert.match(String(banned.content["reason"]), /banned by carol/);
      await hank.quit();

      carol.raw(`KICK #lobby ${puppetNick} :enough`);
      const out = await alice.waitForEvent(
        (e) =>
          e.type === "m.room.member" && e.state_key === alice.userId && e.content["membership"] === "leave",
        { roomId: room },
      );
      assert.match(String(out.content["reason"]), /kicked by carol: enough/);
    });

    test("plumbing a channel with operators waits for one of them to agree", async () => {
      const bot = stack.bridge.naming.botUserId;
      const own = await alice.createRoom({ preset: "public_chat", name: "Alice's own room" });
      await alice.invite(own, bot);
      await alice.waitForEvent((e) => e.state_key === bot && e.content["membership"] === "join", {
        roomId: own,
      });
      await carol.join("#plumbed");
      await carol.join("#closed");

      await alice.sendText(own, "!link #plumbed");
      const asked = await carol.waitFor(
        (e) => e.type === "notice" && e.nick === "MatrixBridge" && String(e.message).includes("#plumbed"),
      );
      assert.match(String(asked.message), new RegExp(`${alice.userId} wants to bridge #plumbed`));
      carol.say("MatrixBridge", "yes");
      await alice.waitForEvent((e) => e.sender === bot && /Linked/.test(String(e.content["body"])), {
        roomId: own,
      });
      carol.say("#plumbed", "hello plumbed room");
      await alice.waitForEvent(
        (e) => e.sender === ghost("carol") && e.content["body"] === "hello plumbed room",
        { roomId: own },
      );
      // The channel's portal alias must not lead into Alice's room: a plumbed channel has no portal alias at all.
      const alias = `#irc_#plumbed:${stack.synapse.serverName}`;
      await assert.rejects(
        alice.request("GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`),
        (err: unknown) => err instanceof MatrixRequestError && err.status === 404,
      );

      const other = await alice.createRoom({ preset: "public_chat" });
      await alice.invite(other, bot);
      await alice.waitForEvent((e) => e.state_key === bot && e.content["membership"] === "join", {
        roomId: other,
      });
      await alice.sendText(other, "!link #closed");
      await carol.waitFor(
        (e) => e.type === "notice" && e.nick === "MatrixBridge" && String(e.message).includes("#closed"),
      );
      carol.say("MatrixBridge", "no");
      await alice.waitForEvent(
        (e) => e.sender === bot && /refused the link/.test(String(e.content["body"])),
        { roomId: other },
      );
    });
  });
