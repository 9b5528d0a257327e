// `bridge.permissions` on every path that acts for a Matrix user on the network: a user it leaves out sends nothing,
// gets no puppet, and is told once per room why — also after a restart — while a permitted user is bridged as before.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseRoomId, parseUserId, remoteRoomId, remoteUserId } from "../../src/ids.ts";
import { type HandlerUnderTest, handlerUnderTest, naming, removeDir } from "./event-handler-harness.ts";

const ALICE = parseUserId("@alice:example.org");
const MALLORY = parseUserId("@mallory:example.org");
const PORTAL = parseRoomId("!portal:example.org");
const GHOST = naming.ghostUserId(remoteUserId("carol"));
let n = 0;

const message = (sender: string, body: string, extra: Record<string, unknown> = {}) => ({
  type: "m.room.message",
  event_id: `$m${++n}`,
  room_id: PORTAL,
  sender,
  origin_server_ts: Date.now(),
  content: { msgtype: "m.text", body, ...extra },
});
const member = (target: string, membership: string, sender = target, roomId: string = PORTAL) => ({
  type: "m.room.member",
  event_id: `$j${++n}`,
  room_id: roomId,
  sender,
  state_key: target,
  content: { membership, ...(membership === "invite" && { is_direct: true }) },
});

describe("permissions on every path to the network", () => {
  let t: HandlerUnderTest & { dir: string };
  const notices = () => t.said.filter((s) => s.action === "notice" && s.text?.includes("not allowed"));
  const reached = (sender: string) => t.network.filter((d) => d.value["sender"] === sender);

  before(async () => {
    t = await handlerUnderTest({ [ALICE]: "user" });
    await t.store.putRoomLink({
      roomId: PORTAL,
      remoteRoomId: remoteRoomId("lobby"),
      kind: "portal",
      relay: true,
      createdAt: Date.now(),
    });
    t.cache.noteMembership(PORTAL, naming.botUserId, "join");
    t.cache.noteMembership(PORTAL, GHOST, "join");
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("a join starts no puppet for a user left out, who is told why once; a permitted user's join does", async () => {
    await t.handle(member(MALLORY, "join"));
    await t.handle(member(ALICE, "join"));
    assert.deepEqual(
      t.network.filter((d) => d.method === "handleMembership").map((d) => d.value["sender"]),
      [ALICE],
    );
    assert.equal(notices().length, 1);
    assert.match(notices()[0]?.text ?? "", /@mallory:example\.org: you are not allowed to use this bridge/);
    assert.ok(
      t.logs.some(
        (l) => l.includes('"level":"info"') && l.includes("not bridging a user without permission"),
      ),
    );
  });

  it("messages, edits, reactions, redactions, topics, kicks and commands of a user left out go nowhere", async () => {
    const first = message(MALLORY, "hello from mallory");
    await t.handle(first);
    await t.handle(
      message(MALLORY, "* fixed", {
        "m.new_content": { msgtype: "m.text", body: "fixed" },
        "m.relates_to": { rel_type: "m.replace", event_id: first.event_id },
      }),
    );
    await t.handle({
      type: "m.reaction",
      event_id: `$r${++n}`,
      room_id: PORTAL,
      sender: MALLORY,
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$x", key: "👍" } },
    });
    await t.handle({
      type: "m.room.redaction",
      event_id: `$d${++n}`,
      room_id: PORTAL,
      sender: MALLORY,
      redacts: "$x",
      content: {},
    });
    await t.handle({
      type: "m.room.topic",
      event_id: `$t${++n}`,
      room_id: PORTAL,
      sender: MALLORY,
      state_key: "",
      content: { topic: "mine" },
    });
    await t.handle(member(GHOST, "leave", MALLORY));
    await t.handle(message(MALLORY, "!ping"));
    assert.deepEqual(reached(MALLORY), [], "nothing reached the network for mallory, relay on or not");
    assert.equal(notices().length, 1, "told once, not once per event");
    assert.ok(!t.said.some((s) => s.text?.startsWith("Pong")), "her command did not run");
  });

  it("a permitted user's message still goes out", async () => {
    await t.handle(message(ALICE, "hello from alice"));
    const sent = t.network.find((d) => d.method === "sendMessage");
    assert.deepEqual(sent?.value["text"], [{ type: "text", text: "hello from alice" }]);
    assert.equal(sent?.value["senderName"], "alice");
    assert.deepEqual(sent?.value["as"], { kind: "puppet", remoteUserId: "mx_alice" });
  });

  it("power levels given to a user left out are not passed on; a ghost's are", async () => {
    await t.handle({
      type: "m.room.power_levels",
      event_id: `$p${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      state_key: "",
      content: { users: { [MALLORY]: 50, [GHOST]: 50 } },
      unsigned: { prev_content: { users: {} } },
    });
    const change = t.network.find((d) => d.method === "handlePowerLevels");
    assert.deepEqual(change?.value["changes"], [{ user: "carol", level: 50 }]);
  });

  it("typing, read receipts and presence of a user left out stay on Matrix", async () => {
    await t.handle(
      { type: "m.typing", room_id: PORTAL, content: { user_ids: [MALLORY, ALICE] } },
      "ephemeral",
    );
    await t.handle({ type: "m.presence", sender: MALLORY, content: { presence: "online" } }, "ephemeral");
    await t.handle({ type: "m.presence", sender: ALICE, content: { presence: "online" } }, "ephemeral");
    assert.deepEqual(
      t.network.filter((d) => d.method === "sendTyping").map((d) => d.value["sender"]),
      [ALICE],
    );
    assert.deepEqual(
      t.network.filter((d) => d.method === "sendPresence").map((d) => d.value["sender"]),
      [ALICE],
    );
  });

  it("a private chat with a ghost is declined for a user left out", async () => {
    const dm = parseRoomId("!dm:example.org");
    await t.handle(member(GHOST, "invite", MALLORY, dm));
    assert.deepEqual(t.ghostDms, []);
    assert.ok(t.said.some((s) => s.as === GHOST && s.action === "leave" && s.roomId === dm));
  });

  it("the notice is remembered across a restart", async () => {
    await t.close();
    t = await handlerUnderTest({ [ALICE]: "user" }, t.dir);
    t.cache.noteMembership(PORTAL, naming.botUserId, "join");
    await t.handle(message(MALLORY, "after the restart"));
    assert.equal(notices().length, 0);
    assert.deepEqual(reached(MALLORY), []);
  });
});
