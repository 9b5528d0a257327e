// Puppeting end to end with a real Synapse and the test network: a Matrix user logs in to the remote network from
// their DM with the bot (single puppeting), their messages go out as them, and what they write from another remote
// client appears as their real Matrix account (double puppeting through the second registration) — never echoed.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId, remoteRoomId, remoteUserId, richText } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("single and double puppeting", () => {
  const runDir = useRunDir("bridge-puppets");
  let stack: BridgeStack;
  let alice: TestClient;
  let dm: RoomId;
  let room: RoomId;
  const lobby = remoteRoomId("lobby");
  const bot = () => stack.bridge.naming.botUserId;

  /** Sends a command in the DM and returns the bot's answer. */
  async function command(text: string): Promise<string> {
    const sent = await alice.sendText(dm, text);
    await alice.waitForEvent((e) => e.event_id === sent, { roomId: dm });
    const seenBefore = alice.eventsSeen(dm).findIndex((e) => e.event_id === sent);
    const reply = await alice.waitForEvent(
      (e) =>
        e.sender === bot() &&
        alice.eventsSeen(dm).indexOf(e) > seenBefore &&
        e.content["msgtype"] === "m.notice",
      { roomId: dm },
    );
    return String(reply.content["body"]);
  }

  before(async () => {
    stack = await startBridgeStack({
      runDir: runDir.path,
      doublePuppet: true,
      network: {
        rooms: [{ id: "lobby", name: "Lobby" }],
        accounts: { "alice-remote": "correct horse" },
        automaticIdentities: false,
      },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    dm = await alice.createDirectMessage(bot());
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello"), {
      roomId: dm,
    });
    room = await alice.join(`#testnet_lobby:${stack.synapse.serverName}`);
  });

  test("without an identity or a relay, a message is refused with an explanation", async () => {
    await alice.sendText(room, "nobody hears this");
    const notice = await alice.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).includes("not logged in"),
      { roomId: room },
    );
    assert.match(String(notice.content["body"]), /login/);
    assert.equal(stack.world.received.filter((m) => plainText(m.text) === "nobody hears this").length, 0);
  });

  test("login in the DM gives the user their remote identity; whoami tells it", async () => {
    assert.match(await command("whoami"), /not logged in/);
    assert.match(await command("login alice-remote wrong"), /Login failed: wrong username or password/);
    assert.match(await command("login alice-remote"), /usage: login/);
    assert.match(
      await command("login alice-remote correct horse"),
      /Logged in to Test network as alice-remote/,
    );
    assert.match(await command("whoami"), /logged in to Test network as alice-remote/);
    assert.match(await command("login alice-remote correct horse"), /already logged in/);
  });

  test("login is refused outside the DM, and the message holding the password is redacted", async () => {
    const leaked = await alice.sendText(room, "!login alice-remote correct horse");
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).includes("in your DM"), {
      roomId: room,
    });
    await alice.waitForEvent(
      (e) => e.type === "m.room.redaction" && (e.redacts ?? e.content["redacts"]) === leaked,
      {
        roomId: room,
      },
    );
  });

  test("help lists the core's commands and the network's own, which run too", async () => {
    const help = await command("help");
    for (const name of ["help", "ping", "login", "logout", "whoami", "link", "unlink", "relay", "rooms"]) {
      assert.match(help, new RegExp(`!${name}\\b`), `help lists ${name}`);
    }
    assert.equal(await command("rooms"), "Rooms: lobby");
    assert.match(await command("relay maybe"), /Usage: !relay/);
  });

  test("the logged-in user's messages go out as their own remote account", async () => {
    await alice.sendText(room, "as myself");
    const message = await stack.world.waitForMessage((m) => plainText(m.text) === "as myself");
    assert.deepEqual(message.as, { kind: "puppet", remoteUserId: "alice-remote" });
  });

  test("double puppeting: what the user wrote from another client appears as their real account, once", async () => {
    const id = stack.world.newMessageId();
    const me = { id: remoteUserId("alice-remote"), displayName: "Alice" };
    await stack.world.remote.message({
      roomId: lobby,
      sender: me,
      id,
      text: richText("written on my phone"),
    });
    const event = await alice.waitForEvent((e) => e.content["body"] === "written on my phone", {
      roomId: room,
    });
    assert.equal(event.sender, alice.userId, "sent as the real Matrix account, not a ghost");
    await stack.bridge.queue.idle();
    // The event came back to the bridge in a transaction; it must not go out to the network again.
    await alice.sendText(room, "a marker");
    await stack.world.waitForMessage((m) => plainText(m.text) === "a marker");
    assert.equal(stack.world.received.filter((m) => plainText(m.text) === "written on my phone").length, 0);
    const ghostId = `@testnet_alice-remote:${stack.synapse.serverName}`;
    assert.ok(!alice.eventsSeen(room).some((e) => e.sender === ghostId), "no ghost stood in for the user");
  });

  test("no password or token reaches the bridge's log, and no password stays in its store", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const log = readFileSync(stack.files.logPath, "utf8");
    assert.ok(log.length > 0);
    await stack.bridge.queue.idle();
    const store = readdirSync(stack.config.store.path).map((f) =>
      readFileSync(join(stack.config.store.path, f), "latin1"),
    );
    assert.ok(
      !store.some((text) => text.includes("correct horse")),
      "the login command was scrubbed from the store",
    );
    for (const secret of [
      "correct horse",
      stack.registration.as_token,
      stack.registration.hs_token,
      alice.accessToken,
    ]) {
      assert.ok(!log.includes(secret), "a secret is in the log");
    }
  });

  test("logout ends the remote session", async () => {
    assert.match(await command("logout"), /Logged out of Test network \(you were alice-remote\)/);
    assert.deepEqual(stack.world.loggedOut, [alice.userId]);
    assert.match(await command("whoami"), /not logged in/);
    assert.match(await command("logout"), /not logged in/);
  });
});
