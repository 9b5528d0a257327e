// Encrypted rooms are told once why the bridge does not answer, instead of being met with silence: the DM with the
// bot (a new one without encryption is opened), a private chat with a ghost (the ghost says it and a new chat is
// opened), and a bridged room that turns encryption on (bridging stops in both directions, and the link says why).

import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { parseRoomId, parseUserId, remoteRoomId, remoteUserId } from "../../src/ids.ts";
import { type HandlerUnderTest, handlerUnderTest, naming, removeDir } from "./event-handler-harness.ts";

const ALICE = parseUserId("@alice:example.org");
const PORTAL = parseRoomId("!portal:example.org");
const DM = parseRoomId("!dm:example.org");
const BOT = naming.botUserId;
let n = 0;

const encrypted = (roomId: string, sender: string = ALICE) => ({
  type: "m.room.encrypted",
  event_id: `$e${++n}`,
  room_id: roomId,
  sender,
  content: {
    algorithm: "m.megolm.v1.aes-sha2",
    ciphertext: "AwgAEpABc2VjcmV0",
    session_id: "s",
    device_id: "D",
  },
});
const invite = (target: string, roomId: string, inviteState: unknown[] = []) => ({
  type: "m.room.member",
  event_id: `$i${++n}`,
  room_id: roomId,
  sender: ALICE,
  state_key: target,
  content: { membership: "invite", is_direct: true },
  unsigned: { invite_room_state: inviteState },
});

describe("encrypted rooms", () => {
  let t: HandlerUnderTest & { dir: string };
  const notices = (roomId: string) =>
    t.said.filter((s) => s.action === "notice" && s.roomId === roomId && s.text?.includes("encrypted"));

  beforeEach(async () => {
    if (t !== undefined) {
      await t.close();
      removeDir(t.dir);
    }
    t = await handlerUnderTest({ "example.org": "user" });
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("an encrypted DM with the bot gets the explanation once, no greeting, and a new chat without encryption", async () => {
    await t.handle(
      invite(BOT, DM, [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ]),
    );
    await t.handle(encrypted(DM));
    await t.handle(encrypted(DM));
    assert.equal(notices(DM).length, 1);
    const text = notices(DM)[0]?.text ?? "";
    assert.match(text, /end-to-end encrypted, and this bridge cannot read encrypted messages yet/);
    assert.match(text, /commands are not seen/);
    assert.match(text, /invited you to a new chat with me without encryption/);
    assert.ok(
      !t.said.some((s) => s.roomId === DM && s.text?.startsWith("Hello")),
      "no greeting it cannot live up to",
    );
    const created = t.said.find((s) => s.action === "createRoom");
    assert.ok(created !== undefined);
    assert.equal((await t.store.getUserRecord(ALICE)).managementRoomId, created.roomId);
    assert.ok(t.said.some((s) => s.roomId === created.roomId && s.text?.startsWith("Hello")));
    assert.ok(t.logs.some((l) => l.includes('"level":"warn"') && l.includes(DM) && l.includes("encrypted")));
  });

  it("the room's state is read when the invite carries none, and the notice is not repeated after a restart", async () => {
    t.encryptedRooms.add(DM);
    await t.handle(invite(BOT, DM));
    assert.equal(notices(DM).length, 1);
    await t.close();
    t = await handlerUnderTest({ "example.org": "user" }, t.dir);
    t.cache.noteMembership(DM, BOT, "join");
    await t.handle(encrypted(DM));
    assert.equal(notices(DM).length, 0);
  });

  it("an unencrypted DM is greeted as before", async () => {
    await t.handle(invite(BOT, DM));
    assert.equal(notices(DM).length, 0);
    assert.ok(t.said.some((s) => s.roomId === DM && s.text?.startsWith("Hello")));
  });

  it("a bridged room turning encryption on is paused in both directions and told once", async () => {
    await t.store.putRoomLink({
      roomId: PORTAL,
      remoteRoomId: remoteRoomId("lobby"),
      kind: "portal",
      createdAt: 1,
    });
    t.cache.noteMembership(PORTAL, BOT, "join");
    await t.handle({
      type: "m.room.encryption",
      event_id: `$s${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      state_key: "",
      content: { algorithm: "m.megolm.v1.aes-sha2" },
    });
    await t.handle(encrypted(PORTAL));
    assert.equal(notices(PORTAL).length, 1);
    assert.match(notices(PORTAL)[0]?.text ?? "", /stopped bridging this room with lobby/);
    assert.equal((await t.store.getRoomLinkByMatrix(PORTAL))?.paused, "encrypted");
    // A plaintext message a client still sends, and a join, go nowhere either.
    await t.handle({
      type: "m.room.message",
      event_id: `$m${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      content: { msgtype: "m.text", body: "still plaintext" },
    });
    await t.handle({
      type: "m.room.member",
      event_id: `$j${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      state_key: ALICE,
      content: { membership: "join" },
    });
    await t.handle({ type: "m.typing", room_id: PORTAL, content: { user_ids: [ALICE] } }, "ephemeral");
    assert.deepEqual(t.network, []);
  });

  it("a private chat with a ghost that is encrypted: the ghost says so once and a new chat is opened", async () => {
    const ghost = naming.ghostUserId(remoteUserId("carol"));
    t.encryptedRooms.add(DM);
    await t.store.putRoomLink({
      roomId: DM,
      remoteRoomId: remoteRoomId(`dm:${ALICE}:carol`),
      kind: "dm",
      peer: remoteUserId("carol"),
      owner: ALICE,
      createdAt: 1,
    });
    await t.handle(invite(ghost, DM));
    await t.handle(encrypted(DM));
    assert.equal(notices(DM).length, 1);
    assert.equal(notices(DM)[0]?.as, ghost);
    assert.match(notices(DM)[0]?.text ?? "", /nothing you write here reaches carol on Test network/);
    assert.deepEqual(t.reopened, [{ owner: ALICE, peer: "carol" }]);
    assert.equal((await t.store.getRoomLinkByMatrix(DM))?.paused, "encrypted");
  });
});
