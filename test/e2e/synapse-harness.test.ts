// The harness against a real Synapse: if these fail, every other end-to-end suite would fail for reasons that have
// nothing to do with the bridges.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type MatrixEvent, registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { Synapse } from "../harness/synapse.ts";

function isText(body: string): (event: MatrixEvent) => boolean {
  return (event) => event.type === "m.room.message" && event.content["body"] === body;
}

describe("Synapse harness", () => {
  const run = useRunDir("synapse-harness");
  let synapse: Synapse;
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;

  before(async () => {
    synapse = await Synapse.create({ runDir: run.path });
    run.addTeardown((failed) => synapse.destroy(failed));
    await synapse.start();
    alice = await registerUser(synapse, "alice", { displayName: "Alice" });
    run.addTeardown(() => alice.close());
    bob = await registerUser(synapse, "bob");
    run.addTeardown(() => bob.close());
  });

  it("delivers a message to a user who was invited and joined", async () => {
    roomId = await alice.createRoom({ name: "harness" });
    await alice.invite(roomId, bob.userId);
    assert.equal(await bob.waitForInvite((invite) => invite.sender === alice.userId), roomId);
    assert.equal(await bob.join(roomId), roomId);
    await alice.waitForEvent(
      (event) =>
        event.type === "m.room.member" &&
        event.state_key === bob.userId &&
        event.content["membership"] === "join",
      { roomId },
    );

    const sent = await alice.sendText(roomId, "hello bob");
    const received = await bob.waitForEvent(isText("hello bob"), { roomId });
    assert.equal(received.event_id, sent);
    assert.equal(received.sender, alice.userId);
    assert.equal(received.room_id, roomId);
    assert.equal(bob.eventsSeen(roomId).filter(isText("hello bob")).length, 1);
  });

  it("reads state, and null for state the room does not have", async () => {
    const create = await bob.getState<{ room_version?: unknown }>(roomId, "m.room.create");
    assert.equal(typeof create?.room_version, "string");
    assert.equal(await bob.getState(roomId, "m.room.topic"), null);

    await alice.sendState(roomId, "org.example.harness", "key", { value: 1 });
    assert.deepEqual(await bob.getState(roomId, "org.example.harness", "key"), { value: 1 });
  });

  it("sees redactions, display name changes and direct chats", async () => {
    const sent = await alice.sendText(roomId, "to be redacted");
    await alice.redact(roomId, sent, "testing");
    await bob.waitForEvent((event) => event.type === "m.room.redaction" && event.redacts === sent, {
      roomId,
    });

    await alice.setDisplayName("Alice Renamed");
    await bob.waitForEvent(
      (event) =>
        event.type === "m.room.member" &&
        event.state_key === alice.userId &&
        event.content["displayname"] === "Alice Renamed",
      { roomId },
    );

    const directRoom = await alice.createDirectMessage(bob.userId);
    assert.equal(await bob.waitForInvite((invite) => invite.content["is_direct"] === true), directRoom);
    const direct = await alice.request<Record<string, string[]>>(
      "GET",
      `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/account_data/m.direct`,
    );
    assert.deepEqual(direct[bob.userId], [directRoom]);
  });

  it("times out naming what it waited for and what it saw", async () => {
    await assert.rejects(
      bob.waitForEvent(isText("never sent"), {
        roomId,
        timeoutMs: 300,
        description: "the message 'never sent'",
      }),
      (error: Error) => {
        assert.match(error.message, /timed out after 300 ms/);
        assert.match(error.message, /the message 'never sent'/);
        assert.match(error.message, /m\.room\.message from @alice:localhost: "hello bob"/);
        return true;
      },
    );
  });

  it("keeps its data across a restart, so tokens and rooms still work", async () => {
    const firstPid = synapse.pid;
    await synapse.stop();
    assert.equal(synapse.pid, undefined);
    await assert.rejects(alice.sendText(roomId, "while down"));
    await synapse.start();
    assert.notEqual(synapse.pid, firstPid);

    await alice.sendText(roomId, "after restart");
    // Bob's sync loop has to ride out the outage on its own for this to arrive.
    await bob.waitForEvent(isText("after restart"), { roomId });
  });

  it("stops the homeserver process", async () => {
    const pid = synapse.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 0);
    await synapse.stop();
    assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
  });
});
