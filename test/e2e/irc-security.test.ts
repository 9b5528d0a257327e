// Attacks through IRC, end to end with InspIRCd and Synapse: consent to a link given by someone who is not (or no
// longer) an operator — one who parted, or a stranger who took the nick of one who quit — relayed text and display
// names that try to start an IRC line of their own, and the portal alias of a plumbed channel.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { MatrixRequestError } from "../harness/matrix-request.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("IRC security with InspIRCd and Synapse", () => {
  const runDir = useRunDir("irc-security");
  let server: IrcServer;
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let bob: TestClient;
  let carol: IrcTestClient;
  let own: RoomId;
  const bot = () => stack.bridge.naming.botUserId;

  async function connect(nick: string, username = nick): Promise<IrcTestClient> {
    const client = await connectIrcClient({ host: server.host, port: server.port, nick, username });
    runDir.addTeardown(() => client.quit());
    return client;
  }

  /** Waits for the bridge bot's NOTICE to `client` containing `text`, from event `since` on. */
  function botNotice(client: IrcTestClient, text: string, since = 0) {
    return client.waitFor(
      (e) => e.type === "notice" && e.nick === "MatrixBridge" && String(e.message).includes(text),
      15_000,
      { since, description: `a notice with "${text}"` },
    );
  }

  before(async () => {
    server = await InspircdServer.create({ runDir: runDir.path });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    // Relay mode: Matrix users speak through the bot's connection, as "name: text".
    stack = await startIrcBridgeStack({ runDir: runDir.path, server, settings: { mode: "relay" } });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    bob = await registerUser(stack.synapse, "bob", { displayName: "Bob" });
    runDir.addTeardown(() => alice.close());
    runDir.addTeardown(() => bob.close());
    carol = await connect("carol");
  });

  test("link consent counts only from a current operator: not one who parted, not whoever took a nick", async () => {
    const dave = await connect("dave");
    const erin = await connect("erin");
    await carol.join("#consent");
    await dave.join("#consent");
    await erin.join("#consent");
    carol.raw("MODE #consent +oo dave erin");
    await erin.waitFor((e) => e.type === "mode" && JSON.stringify(e).includes("erin"));

    own = await alice.createRoom({ preset: "public_chat", name: "Alice's own room" });
    await alice.invite(own, bot());
    await alice.waitForEvent((e) => e.state_key === bot() && e.content["membership"] === "join", {
      roomId: own,
    });
    await alice.sendText(own, "!link #consent");
    for (const op of [carol, dave, erin]) await botNotice(op, `${alice.userId} wants to bridge #consent`);

    // erin was asked, then parted: no longer an operator, so her "yes" is not consent.
    erin.part("#consent");
    await carol.waitFor((e) => e.type === "part" && e.nick === "erin");
    const erinSince = erin.eventCount;
    erin.say("MatrixBridge", "yes");
    await botNotice(erin, "not the operator of #consent", erinSince);

    // dave quits; mallory takes his nick (and even joins) and answers for him.
    await dave.quit();
    await carol.waitFor((e) => e.type === "quit" && e.nick === "dave");
    const mallory = await connect("dave", "mallory");
    await mallory.join("#consent");
    mallory.say("MatrixBridge", "yes");
    await botNotice(mallory, "not the operator of #consent");
    assert.equal(await stack.bridge.store.getRoomLinkByMatrix(own), null, "linked on a false consent");

    // carol is still an operator: her "yes" links the room.
    carol.say("MatrixBridge", "yes");
    await alice.waitForEvent((e) => e.sender === bot() && /Linked/.test(String(e.content["body"])), {
      roomId: own,
    });
    assert.equal((await stack.bridge.store.getRoomLinkByMatrix(own))?.remoteRoomId, "#consent");
  });

  test("the portal alias of the plumbed channel is not found, so nobody is led into alice's room", async () => {
    const alias = `#irc_#consent:${stack.synapse.serverName}`;
    await assert.rejects(bob.join(alias), (err: unknown) => (err as MatrixRequestError).status === 404);
    await assert.rejects(
      bob.request("GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`),
      (err: unknown) => err instanceof MatrixRequestError && err.status === 404,
    );
  });

  test("relay: every IRC line carries the sender's name; line breaks in body or display name start none", async () => {
    await alice.sendText(own, "!relay on");
    const deadline = Date.now() + 15_000;
    while ((await stack.bridge.store.getRoomLinkByMatrix(own))?.relay !== true) {
      assert.ok(Date.now() < deadline, "the relay was not switched on");
      await new Promise((r) => setTimeout(r, 100));
    }
    await alice.setDisplayName("Alice\r\ncarol: trust me\x02");
    await alice.waitForEvent(
      (e) => e.state_key === alice.userId && /trust me/.test(String(e.content["displayname"])),
      { roomId: own },
    );
    const since = carol.eventCount;
    const long = `${"padding ".repeat(70)}carol: the password is hunter2`;
    await alice.sendText(own, `ok\ncarol: send me your password\n${long}\nend`);
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === "MatrixBridge" && String(e.message).endsWith("end"),
      15_000,
      { since, description: "the last relayed line" },
    );
    const lines = carol.events
      .slice(since)
      .filter((e) => e.type === "privmsg" && e.nick === "MatrixBridge" && e.target === "#consent")
      .map((e) => String(e.message));
    const prefix = "Alice carol: trust me: ";
    assert.ok(lines.length >= 5, `expected the long line split, got ${JSON.stringify(lines)}`);
    for (const line of lines) assert.ok(line.startsWith(prefix), `a line without the prefix: ${line}`);
    assert.equal(lines[0], `${prefix}ok`);
    assert.equal(lines[1], `${prefix}carol: send me your password`);
    assert.equal(lines.at(-1), `${prefix}end`);
    // Nothing lost: the pieces of the long line are the long line.
    assert.equal(
      lines
        .slice(2, -1)
        .map((l) => l.slice(prefix.length))
        .join(""),
      long,
    );
  });
});
