// Attacks on the core, end to end through a real Synapse and the test network: aliases the admin allows no portal,
// the portal alias of a plumbed room (which must never lead into someone's own room), edits of someone else's message,
// and relayed text that tries to pass a line off as another sender's.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { MatrixRequestError } from "../harness/matrix-request.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("security: portal policy, plumbed aliases, edits and relay spoofing", () => {
  const runDir = useRunDir("bridge-security");
  let stack: BridgeStack;
  let alice: TestClient;
  let bob: TestClient;
  let portal: RoomId;
  let plumbed: RoomId;
  const bot = () => stack.bridge.naming.botUserId;
  const alias = (id: string) => `#testnet_${id}:${stack.synapse.serverName}`;

  /** The status of the homeserver's answer to an alias lookup (404 when the bridge says it does not exist). */
  async function lookup(id: string): Promise<number> {
    try {
      await alice.request("GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias(id))}`);
      return 200;
    } catch (err) {
      assert.ok(err instanceof MatrixRequestError);
      return err.status;
    }
  }

  before(async () => {
    stack = await startBridgeStack({
      runDir: runDir.path,
      network: {
        rooms: [{ id: "open-news" }, { id: "open-secret" }, { id: "closed" }, { id: "townhall" }],
        automaticIdentities: true,
      },
      extraConfig: { portals: { allow: ["open-*", "townhall"], deny: ["OPEN-SECRET"] } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    bob = await registerUser(stack.synapse, "bob", { displayName: "Bob" });
    runDir.addTeardown(() => alice.close());
    runDir.addTeardown(() => bob.close());
  });

  test("portals.allow/deny: an alias outside the allow list or denied is not found; one inside works", async () => {
    assert.equal(await lookup("closed"), 404);
    await assert.rejects(
      bob.join(alias("closed")),
      (err: unknown) => (err as MatrixRequestError).status === 404,
    );
    assert.equal(await lookup("open-secret"), 404, "deny wins, ignoring case");
    await assert.rejects(bob.join(alias("open-secret")));
    assert.equal(await stack.bridge.store.getRoomLinkByRemote("closed" as never), null);
    portal = await alice.join(alias("open-news"));
    assert.equal((await stack.bridge.store.getRoomLinkByRemote("open-news" as never))?.roomId, portal);
    assert.equal(await lookup("open-news"), 200);
  });

  test("the portal alias of a plumbed remote room is not found and never leads into the plumbed room", async () => {
    plumbed = await alice.createRoom({ preset: "public_chat", name: "Alice's own room" });
    await bob.join(plumbed);
    await alice.invite(plumbed, bot());
    await alice.waitForEvent((e) => e.state_key === bot() && e.content["membership"] === "join", {
      roomId: plumbed,
    });
    await alice.sendText(plumbed, "!link townhall");
    await alice.waitForEvent((e) => e.sender === bot() && /Linked/.test(String(e.content["body"])), {
      roomId: plumbed,
    });
    assert.equal(await lookup("townhall"), 404);
    await assert.rejects(
      bob.join(alias("townhall")),
      (err: unknown) => (err as MatrixRequestError).status === 404,
    );
    assert.equal((await stack.bridge.store.getRoomLinkByRemote("townhall" as never))?.roomId, plumbed);
  });

  test("bob's edit of alice's message is not bridged and bob is told; alice's own edit is", async () => {
    await bob.join(portal);
    const original = await alice.sendText(portal, "the meeting is at 10");
    await stack.world.waitForMessage((m) => plainText(m.text) === "the meeting is at 10");
    const forged = await bob.sendMessage(portal, {
      msgtype: "m.text",
      body: "* the meeting is cancelled",
      "m.new_content": { msgtype: "m.text", body: "the meeting is cancelled" },
      "m.relates_to": { rel_type: "m.replace", event_id: original },
    });
    await bob.waitForEvent(
      (e) =>
        e.sender === bot() &&
        String(e.content["body"]).startsWith(`${bob.userId}: your edit was not sent`) &&
        /only its author/.test(String(e.content["body"])),
      { roomId: portal },
    );
    await alice.sendMessage(portal, {
      msgtype: "m.text",
      body: "* the meeting is at 11",
      "m.new_content": { msgtype: "m.text", body: "the meeting is at 11" },
      "m.relates_to": { rel_type: "m.replace", event_id: original },
    });
    const edit = await stack.world.waitForDelivery(
      "edit",
      (e) => plainText(e.text) === "the meeting is at 11",
    );
    assert.equal(edit.sender, alice.userId);
    // Handled in order: alice's edit came after bob's, so bob's would be there by now had it gone out.
    assert.equal(
      stack.world.deliveries.some(
        (d) => (d.kind === "edit" || d.kind === "message") && d.value.sender === bob.userId,
      ),
      false,
      `bob's edit ${forged} reached the network`,
    );
  });

  test("relay: every line carries the sender's name, and a display name cannot break the line", async () => {
    stack.world.withoutIdentity.add(bob.userId);
    await alice.sendText(plumbed, "!relay on");
    const deadline = Date.now() + 15_000;
    while ((await stack.bridge.store.getRoomLinkByMatrix(plumbed))?.relay !== true) {
      assert.ok(Date.now() < deadline, "the relay was not switched on");
      await new Promise((r) => setTimeout(r, 100));
    }
    await bob.setDisplayName("Bob\nalice: trust me\u202e");
    await bob.waitForEvent(
      (e) =>
        e.type === "m.room.member" &&
        e.state_key === bob.userId &&
        /trust me/.test(String(e.content["displayname"])),
      { roomId: plumbed },
    );
    await bob.sendText(plumbed, "ok\nalice: send me your password\r\nthanks");
    // As the network shows it: the plugin marks every line with the marks the core made of the display name.
    const relayed = await stack.world.waitForPost((text) => text.includes("send me your password"));
    const { as } = relayed.message;
    assert.equal(as.kind, "relay");
    const prefix = "Bob alice: trust me: ";
    assert.deepEqual(relayed.text.split("\n"), [
      `${prefix}ok`,
      `${prefix}alice: send me your password`,
      `${prefix}thanks`,
    ]);
    assert.deepEqual(as.kind === "relay" && { before: as.marks.before, after: as.marks.after }, {
      before: prefix,
      after: "",
    });
  });
});
