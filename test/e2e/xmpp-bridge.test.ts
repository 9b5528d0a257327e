// The XMPP bridge against real XMPP servers (Debian's Prosody and ejabberd) and a real Synapse, with real XMPP
// clients (@xmpp/client) on the other side: portals by alias, MUC messages both ways with styling, the room's
// history bridged once and never again after a restart, and hostile input that must not inject a single stanza or
// lose a character.

import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { before, describe, test } from "node:test";
import { xml } from "@xmpp/client";
import type { RoomId } from "bridge-core";
import { fillTemplate } from "bridge-core/bridge";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { MatrixRequestError } from "../harness/matrix-request.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { tally } from "../harness/tally.ts";
import { EjabberdServer } from "../harness/xmpp/ejabberd.ts";
import { ProsodyServer } from "../harness/xmpp/prosody.ts";
import { startXmppBridgeStack } from "../harness/xmpp/xmpp-bridge-stack.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";
import type { XmppServer } from "../harness/xmpp/xmpp-server.ts";

const SERVERS: [string, (runDir: string) => Promise<XmppServer>][] = [
  ["Prosody", (runDir) => ProsodyServer.create({ runDir })],
  ["ejabberd", (runDir) => EjabberdServer.create({ runDir })],
];

for (const [software, createServer] of SERVERS)
  describe(`XMPP bridge with ${software} and Synapse`, () => {
    const runDir = useRunDir(`xmpp-bridge-${software.toLowerCase()}`);
    let server: XmppServer;
    let stack: BridgeStack<XmppNetwork>;
    let alice: TestClient;
    let carol: XmppTestClient;
    let room: RoomId;
    let lobby: string;
    const ghost = (occupant: string) => `@${fillTemplate("xmpp_{id}", occupant)}:${stack.synapse.serverName}`;
    const carolGhost = () => ghost(`${lobby}/carol`);
    const bodiesFrom = (sender: string) =>
      alice
        .eventsSeen(room)
        .filter((e) => e.type === "m.room.message" && e.sender === sender)
        .map((e) => e.content["body"]);

    before(async () => {
      server = await createServer(runDir.path);
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      lobby = `lobby@${server.mucDomain}`;
      carol = await XmppTestClient.connect(server, "carol");
      runDir.addTeardown(() => carol.close());
      await carol.joinRoom(lobby, "carol");
      await carol.say(lobby, "said before the bridge came");
      // Files shared in the tests are served from this machine, which the bridge refuses unless allowed.
      stack = await startXmppBridgeStack({
        runDir: runDir.path,
        server,
        extraConfig: { media: { allow_private_addresses: true } },
      });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
    });

    test("joining #xmpp_lobby_<muc> creates the portal; the bridge joins the MUC; history and members come along", async () => {
      room = await alice.join(`#xmpp_lobby_${server.mucDomain}:${stack.synapse.serverName}`);
      await carol.waitFor(
        (s) => s.name === "presence" && s.attrs["from"] === `${lobby}/MatrixBridge`,
        "the bridge's presence in the room",
      );
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.member" && e.state_key === carolGhost() && e.content["membership"] === "join",
        { roomId: room },
      );
      const history = await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "said before the bridge came",
        { roomId: room },
      );
      assert.ok(history.origin_server_ts !== undefined);
    });

    test("XMPP groupchat messages arrive from the occupant's ghost, styling as HTML", async () => {
      await carol.say(lobby, "hello *matrix* & _friends_");
      const message = await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "hello matrix & friends",
        { roomId: room },
      );
      assert.equal(message.content["msgtype"], "m.text");
      assert.equal(message.content["formatted_body"], "hello <b>matrix</b> &amp; <i>friends</i>");
      await carol.say(lobby, "/me waves");
      await alice.waitForEvent(
        (e) =>
          e.sender === carolGhost() && e.content["msgtype"] === "m.emote" && e.content["body"] === "waves",
        { roomId: room },
      );
    });

    test("Matrix messages go out from the user's own occupant, named by their display name, HTML as styling", async () => {
      await alice.sendText(room, "hello xmpp");
      const said = await carol.waitForBody(`${lobby}/Alice`, "hello xmpp");
      assert.equal(said.attrs["type"], "groupchat");
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "**bold** and ~~gone~~",
        format: "org.matrix.custom.html",
        formatted_body: "<strong>bold</strong> and <del>gone</del>",
      });
      await carol.waitForBody(`${lobby}/Alice`, "*bold* and ~gone~");
      await alice.sendMessage(room, { msgtype: "m.emote", body: "dances" });
      await carol.waitForBody(`${lobby}/Alice`, "/me dances");
      assert.deepEqual(
        bodiesFrom(carolGhost()).filter((b) => b === "hello xmpp"),
        [],
        "no echo as carol",
      );
    });

    test("hostile Matrix input cannot inject a stanza, and nothing of it is lost", async () => {
      const hostile =
        "a < b && c > d ]]> </body></message><message to='x' type='groupchat'><body>injected</body></message>";
      await alice.sendText(room, `${hostile} \x01\x02\x1b"quoted" 'apos'\r\nline two\ttab`);
      const long = Array.from({ length: 2000 }, (_, i) => `w${i}ü`).join(" ");
      assert.ok(Buffer.byteLength(long) > 10_000);
      await alice.sendText(room, long);
      await alice.sendText(room, "after the hostile ones");
      await carol.waitForBody(`${lobby}/Alice`, "after the hostile ones");
      const bodies = carol.stanzas
        .filter((s) => s.name === "message" && s.attrs["from"] === `${lobby}/Alice`)
        .map((s) => s.getChildText("body"));
      // Control characters cannot be carried by XML at all: they are dropped, everything else arrives as typed.
      assert.ok(bodies.includes(`${hostile} "quoted" 'apos'\nline two\ttab`), JSON.stringify(bodies));
      assert.ok(bodies.includes(long), "the 10 kB body arrived whole");
      assert.ok(!carol.stanzas.some((s) => s.getChildText("body") === "injected"), "nothing injected");

      // A display name full of markup is only ever a nick.
      const mallory = await registerUser(stack.synapse, "mallory", {
        displayName: "<b>Mal</b>'lory\" & co\u0007",
      });
      await mallory.join(room);
      await mallory.sendText(room, "from mallory");
      await carol.waitForBody(`${lobby}/<b>Mal</b>'lory" & co`, "from mallory");
      await mallory.close();
    });

    test("hostile XMPP input reaches Matrix as plain text, whole", async () => {
      const hostile = "<b>not bold</b> ]]> &amp; <img src=x onerror=alert(1)> *strong <i>*";
      await carol.say(lobby, hostile);
      const message = await alice.waitForEvent(
        // The styling markers become formatting; every other character arrives as written, as text.
        (e) =>
          e.sender === carolGhost() && e.content["body"] === hostile.replace("*strong <i>*", "strong <i>"),
        {
          roomId: room,
        },
      );
      assert.equal(
        message.content["formatted_body"],
        "&lt;b&gt;not bold&lt;/b&gt; ]]&gt; &amp;amp; &lt;img src=x onerror=alert(1)&gt; <b>strong &lt;i&gt;</b>",
      );
      const long = `${"x".repeat(5000)} ${"ü".repeat(3000)}`;
      await carol.say(lobby, long);
      await alice.waitForEvent((e) => e.sender === carolGhost() && e.content["body"] === long, {
        roomId: room,
      });
    });

    test("1:1 chats cross both ways: a message to a Matrix user's JID opens a DM, and a DM to a ghost reaches the JID", async () => {
      // Matrix users' JIDs are their user ids, XEP-0106-escaped, on the bridge's component domain.
      const aliceJid = `alice\\3a${stack.synapse.serverName.replaceAll(":", "\\3a")}@${server.componentDomain}`;
      const carolJid = `carol@${server.domain}`;
      await carol.send(
        xml("message", { to: aliceJid, type: "chat", id: "dm-1" }, xml("body", {}, "psst, alice")),
      );
      const dm = await alice.waitForInvite((e) => e.sender === ghost(carolJid));
      await alice.join(dm);
      await alice.waitForEvent((e) => e.sender === ghost(carolJid) && e.content["body"] === "psst, alice", {
        roomId: dm,
      });
      await alice.sendText(dm, "psst, carol");
      const reply = await carol.waitForBody(aliceJid, "psst, carol");
      assert.equal(reply.attrs["type"], "chat");

      const erin = await XmppTestClient.connect(server, "erin");
      const started = await alice.createDirectMessage(ghost(`erin@${server.domain}`));
      await alice.waitForEvent(
        (e) => e.state_key === ghost(`erin@${server.domain}`) && e.content["membership"] === "join",
        { roomId: started },
      );
      await alice.sendText(started, "hello erin");
      await erin.waitForBody(aliceJid, "hello erin");
      await erin.close();
    });

    test("files cross both ways: an XMPP link share becomes the file, a Matrix file a link", async () => {
      const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
      const files = createHttpServer((_, response) => {
        response.writeHead(200, { "content-type": "image/png" });
        response.end(png);
      });
      await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/upload/cat.png`;
      try {
        await carol.say(lobby, url, { extra: [xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url))] });
        const image = await alice.waitForEvent(
          (e) => e.sender === carolGhost() && e.content["msgtype"] === "m.image",
          {
            roomId: room,
          },
        );
        assert.equal(image.content["body"], "cat.png");
        const [serverName, mediaId] = String(image.content["url"]).slice("mxc://".length).split("/");
        const download = await fetch(
          `${stack.synapse.url}/_matrix/client/v1/media/download/${serverName}/${mediaId}`,
          { headers: { authorization: `Bearer ${alice.accessToken}` } },
        );
        assert.deepEqual(Buffer.from(await download.arrayBuffer()), png);
      } finally {
        files.close();
      }

      const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=dog.png`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" },
        body: png,
      });
      const mxc = ((await upload.json()) as { content_uri: string }).content_uri;
      await alice.sendMessage(room, {
        msgtype: "m.image",
        body: "dog.png",
        url: mxc,
        info: { mimetype: "image/png" },
      });
      const shared = await carol.waitFor(
        (s) => s.attrs["from"] === `${lobby}/Alice` && s.getChild("x", "jabber:x:oob") !== undefined,
        "alice's file",
      );
      const link = shared.getChild("x", "jabber:x:oob")?.getChildText("url") ?? "";
      assert.equal(shared.getChildText("body"), link);
      // No upload service here: the link is the bridge's media proxy (on its own listener, without media.public_url),
      // and opens as posted, with no Matrix token.
      assert.ok(link.startsWith(`${stack.files.bridgeUrl}/_media/v1/`), link);
      const fetched = await fetch(link);
      assert.equal(fetched.status, 200);
      assert.equal(fetched.headers.get("content-type"), "image/png");
      assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), png);
    });

    test("a moderator links an existing Matrix room to a MUC with !link", async () => {
      const plaza = `plaza@${server.mucDomain}`;
      await carol.joinRoom(plaza, "carol");
      const bot = `@${stack.config.appservice.botUsername}:${stack.synapse.serverName}`;
      const own = await alice.createRoom({ preset: "public_chat", name: "Alice's room" });
      await alice.invite(own, bot);
      await alice.waitForEvent(
        (e) => e.type === "m.room.member" && e.state_key === bot && e.content["membership"] === "join",
        { roomId: own },
      );
      const power = (await alice.getState<{ users: Record<string, number> }>(own, "m.room.power_levels"))!;
      await alice.sendState(own, "m.room.power_levels", "", {
        ...power,
        users: { ...power.users, [bot]: 50 },
      });
      const ask = async (text: string) => {
        const sent = await alice.sendText(own, text);
        await alice.waitForEvent((e) => e.event_id === sent, { roomId: own });
        const after = alice.eventsSeen(own).findIndex((e) => e.event_id === sent);
        const reply = await alice.waitForEvent(
          (e) =>
            e.sender === bot &&
            e.content["msgtype"] === "m.notice" &&
            alice.eventsSeen(own).indexOf(e) > after,
          { roomId: own },
        );
        return String(reply.content["body"]);
      };
      assert.match(await ask(`!link nosuch_${server.mucDomain}`), /nosuch/);
      assert.match(await ask(`!link plaza_${server.mucDomain}`), /Linked/);
      await carol.say(plaza, "hello plumbed room");
      await alice.waitForEvent(
        (e) => e.sender === ghost(`${plaza}/carol`) && e.content["body"] === "hello plumbed room",
        { roomId: own },
      );
      await alice.sendText(own, "hello plaza");
      await carol.waitForBody(`${plaza}/Alice`, "hello plaza");
      // The MUC's portal alias must not lead into Alice's room: a plumbed room has no portal alias at all.
      const alias = `#xmpp_plaza_${server.mucDomain}:${stack.synapse.serverName}`;
      await assert.rejects(
        alice.request("GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`),
        (err: unknown) => err instanceof MatrixRequestError && err.status === 404,
      );
    });

    test("after a restart the bridge rejoins, bridges what it missed, and repeats nothing", async () => {
      await stack.bridge.stop();
      await carol.say(lobby, "said while the bridge was away");
      await stack.restartBridge();
      await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "said while the bridge was away",
        { roomId: room },
      );
      await carol.say(lobby, "after the restart");
      await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "after the restart",
        {
          roomId: room,
        },
      );
      // And the other way, through the new process.
      await alice.sendText(room, "matrix after the bridge restart");
      await carol.waitForBody(`${lobby}/Alice`, "matrix after the bridge restart");
      const bodies = bodiesFrom(carolGhost());
      const once = ["said before the bridge came", "hello matrix & friends", "waves", "after the restart"];
      for (const body of once) {
        assert.equal(
          bodies.filter((b) => b === body).length,
          1,
          `${body} bridged once: ${JSON.stringify(bodies)}`,
        );
      }
    });

    test("when the XMPP server restarts, the bridge reconnects, rejoins and bridges both ways again", async () => {
      await carol.close();
      await server.stop();
      await server.start();
      carol = await XmppTestClient.reconnect(server, carol);
      await carol.joinRoom(lobby, "carol");
      await carol.waitFor(
        (s) =>
          s.name === "presence" &&
          s.attrs["from"] === `${lobby}/MatrixBridge` &&
          s.attrs["type"] !== "unavailable",
        "the bridge back in the room",
        30_000,
      );
      await carol.say(lobby, "the server is back");
      await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "the server is back",
        {
          roomId: room,
        },
      );
      await alice.sendText(room, "welcome back");
      await carol.waitForBody(`${lobby}/Alice`, "welcome back");
    });

    test("after Synapse restarts, messages cross both ways again: counted for loss, repeats and order", async (t) => {
      // Synapse on SQLite numbers its application service transactions from 1 again after a restart.
      await stack.synapse.stop();
      await stack.synapse.start();
      const toXmpp = Array.from({ length: 10 }, (_, i) => `matrix after the Synapse restart ${i}`);
      for (const body of toXmpp) await alice.sendText(room, body);
      await carol.waitForBody(`${lobby}/Alice`, toXmpp.at(-1)!);
      const toMatrix = Array.from({ length: 10 }, (_, i) => `xmpp after the Synapse restart ${i}`);
      for (const body of toMatrix) await carol.say(lobby, body);
      await alice.waitForEvent((e) => e.sender === carolGhost() && e.content["body"] === toMatrix.at(-1), {
        roomId: room,
      });
      const onXmpp = carol.stanzas
        .filter((s) => s.name === "message" && s.attrs["from"] === `${lobby}/Alice`)
        .map((s) => s.getChildText("body") ?? "");
      tally(t, "Matrix → XMPP after a Synapse restart", toXmpp, onXmpp);
      tally(t, "XMPP → Matrix after a Synapse restart", toMatrix, bodiesFrom(carolGhost()).map(String));
    });
  });
