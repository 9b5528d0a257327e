// Matrix users' own XMPP accounts, against real Prosody and ejabberd and a real Synapse: `login` connects the
// user's account with @xmpp/client, after which their messages reach the MUC from that account (not from a puppet
// JID of the bridge), messages to their own JID open a DM, and `logout` hands them back to their puppet. The
// password, spaces and all, reaches the server exactly as typed and is found in no file of the store and no log line.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { before, describe, test } from "node:test";
import { xml } from "@xmpp/client";
import type { RoomId } from "bridge-core";
import { fillTemplate } from "bridge-core/bridge";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { filesUnder } from "../harness/files-under.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { EjabberdServer } from "../harness/xmpp/ejabberd.ts";
import { ProsodyServer } from "../harness/xmpp/prosody.ts";
import { startXmppBridgeStack } from "../harness/xmpp/xmpp-bridge-stack.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";
import type { XmppServer } from "../harness/xmpp/xmpp-server.ts";

const SERVERS: [string, (runDir: string) => Promise<XmppServer>][] = [
  ["Prosody", (runDir) => ProsodyServer.create({ runDir })],
  ["ejabberd", (runDir) => EjabberdServer.create({ runDir })],
];
const MUC_USER = "http://jabber.org/protocol/muc#user";

for (const [software, createServer] of SERVERS)
  describe(`XMPP accounts with ${software} and Synapse`, () => {
    const runDir = useRunDir(`xmpp-accounts-${software.toLowerCase()}`);
    let server: XmppServer;
    let stack: BridgeStack<XmppNetwork>;
    let alice: TestClient;
    let carol: XmppTestClient;
    let room: RoomId;
    let dm: RoomId;
    let muc: string;
    // Spaces inside, two in a row, quotes and a backslash: each must reach the server as typed.
    const password = `${randomBytes(12).toString("hex")} pass  word "q" \\ end`;
    /** What no file or log line may hold: the password, as JSON spells it, and its random part alone. */
    const secretParts = () => [password, JSON.stringify(password).slice(1, -1), password.slice(0, 24)];
    const bot = () => `@${stack.config.appservice.botUsername}:${stack.synapse.serverName}`;
    const ghost = (id: string) => `@${fillTemplate("xmpp_{id}", id)}:${stack.synapse.serverName}`;
    /** The real JID behind an occupant, as the room's owner sees it. */
    const realJidOf = async (nick: string, since: number) => {
      const presence = await carol.waitFor(
        (s) =>
          carol.stanzas.indexOf(s) >= since &&
          s.name === "presence" &&
          s.attrs["from"] === `${muc}/${nick}` &&
          s.attrs["type"] !== "unavailable",
        `${nick}'s presence`,
      );
      return presence.getChild("x", MUC_USER)?.getChild("item")?.attrs["jid"] ?? "";
    };

    before(async () => {
      server = await createServer(runDir.path);
      await server.start();
      runDir.addTeardown((failed) => server.destroy(failed));
      muc = `accounts@${server.mucDomain}`;
      await server.register("alice", password);
      carol = await XmppTestClient.connect(server, "carol");
      runDir.addTeardown(() => carol.close());
      await carol.joinRoom(muc, "carol");
      stack = await startXmppBridgeStack({
        runDir: runDir.path,
        server,
        settings: { accounts: { service: `xmpp://${server.host}:${server.c2sPort}` } },
      });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
      runDir.addTeardown(() => alice.close());
      dm = await alice.createDirectMessage(bot());
      room = await alice.join(`#xmpp_accounts_${server.mucDomain}:${stack.synapse.serverName}`);
    });

    test("a wrong password is refused with the server's reason", async () => {
      await alice.sendText(dm, `login alice@${server.domain} not-the-password`);
      const reply = await alice.waitForEvent(
        (e) => e.sender === bot() && String(e.content["body"]).includes("could not log in"),
        { roomId: dm },
      );
      assert.match(String(reply.content["body"]), /not-authorized/);
    });

    test("after login, the user's messages come from their own account", async () => {
      await alice.sendText(dm, `login alice@${server.domain} ${password}`);
      await alice.waitForEvent(
        (e) =>
          e.sender === bot() && e.content["body"] === `Logged in to Test XMPP as alice@${server.domain}.`,
        { roomId: dm },
      );
      const since = carol.stanzas.length;
      await alice.sendText(room, "from my own account");
      await carol.waitForBody(`${muc}/Alice`, "from my own account");
      assert.match(await realJidOf("Alice", since), new RegExp(`^alice@${server.domain}/`));
    });

    test("the password is in no file of the store and no log line, only sealed under the key file", async () => {
      // The login command itself is scrubbed from the store once handled; the queue being idle means it was.
      await stack.bridge.queue.idle();
      const { path, keyFile } = stack.config.store;
      const files = filesUnder(path);
      assert.ok(
        files.some((f) => /\.(log|ldb)$/.test(f)),
        "LevelDB's log and tables are read",
      );
      for (const file of files) {
        const bytes = readFileSync(file);
        for (const part of secretParts()) {
          assert.ok(!bytes.includes(part), `${file} holds the password`);
          assert.ok(!bytes.includes(Buffer.from(part, "utf16le")), `${file} holds the password`);
        }
      }
      const login = await stack.bridge.store.getLogin(alice.userId);
      assert.equal(login?.session["password"], password, "the store gives the session back whole");
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const log = readFileSync(stack.files.logPath, "utf8");
      for (const part of secretParts()) assert.ok(!log.includes(part), "the password is in no log line");
    });

    test("a message to the user's own JID opens a DM, and the answer goes out from their account", async () => {
      await carol.send(
        xml(
          "message",
          { to: `alice@${server.domain}`, type: "chat", id: "to-alice" },
          xml("body", {}, "hi alice"),
        ),
      );
      const carolJid = `carol@${server.domain}`;
      const chat = await alice.waitForInvite((e) => e.sender === ghost(carolJid));
      await alice.join(chat);
      await alice.waitForEvent((e) => e.sender === ghost(carolJid) && e.content["body"] === "hi alice", {
        roomId: chat,
      });
      await alice.sendText(chat, "hi carol");
      const answer = await carol.waitForBody(`alice@${server.domain}/`, "hi carol");
      assert.equal(answer.attrs["type"], "chat");
    });

    test("after logout, the user speaks through their puppet JID again", async () => {
      await alice.sendText(dm, "logout");
      await alice.waitForEvent(
        (e) => e.sender === bot() && String(e.content["body"]).startsWith("Logged out"),
        {
          roomId: dm,
        },
      );
      await carol.waitFor(
        (s) =>
          s.name === "presence" && s.attrs["from"] === `${muc}/Alice` && s.attrs["type"] === "unavailable",
        "the account leaving the room",
      );
      const since = carol.stanzas.length;
      await alice.sendText(room, "from my puppet");
      await carol.waitForBody(`${muc}/Alice`, "from my puppet");
      assert.match(
        await realJidOf("Alice", since),
        new RegExp(`@${server.componentDomain.replaceAll(".", "\\.")}/`),
      );
    });

    test("a login outlives a restart of the bridge", async () => {
      await alice.sendText(dm, `login alice@${server.domain} ${password}`);
      await alice.waitForEvent(
        (e) =>
          e.sender === bot() &&
          e.content["body"] === `Logged in to Test XMPP as alice@${server.domain}.` &&
          alice.eventsSeen(dm).filter((m) => m.content["body"] === e.content["body"]).length === 2,
        { roomId: dm },
      );
      await stack.restartBridge();
      const since = carol.stanzas.length;
      await alice.sendText(room, "still my own account");
      await carol.waitForBody(`${muc}/Alice`, "still my own account");
      assert.match(await realJidOf("Alice", since), new RegExp(`^alice@${server.domain}/`));
    });
  });
