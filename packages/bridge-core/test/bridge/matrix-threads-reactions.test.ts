// What the plugin is handed for the parts of a Matrix message that grew the contract: the thread it is in (as the
// remote id of the thread's first message), an image reaction (as its `:shortcode:`, never its mxc URI), the
// sender's avatar (as a proxy link), and a plugin command opening a portal for the user who ran it.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parseMxcUri, parseRoomId, parseUserId, remoteMessageId, remoteRoomId } from "../../src/ids.ts";
import { type HandlerUnderTest, handlerUnderTest, removeDir } from "./event-handler-harness.ts";

const ALICE = parseUserId("@alice:example.org");
const PORTAL = parseRoomId("!portal:example.org");
const DM = parseRoomId("!dm:example.org");
let n = 0;

const event = (type: string, content: Record<string, unknown>, roomId = PORTAL) => ({
  type,
  event_id: `$e${++n}`,
  room_id: roomId,
  sender: ALICE,
  origin_server_ts: Date.now(),
  content,
});

let t: (HandlerUnderTest & { dir: string }) | undefined;

async function portal(lacking: string[] = []): Promise<HandlerUnderTest> {
  t = await handlerUnderTest({ [ALICE]: "user" }, undefined, lacking);
  await t.store.putRoomLink({
    roomId: PORTAL,
    remoteRoomId: remoteRoomId("lobby"),
    kind: "portal",
    relay: true,
    createdAt: Date.now(),
  });
  return t;
}

async function bridged(h: HandlerUnderTest, eventId: string, remoteId: string, body: string) {
  await h.store.putEventLink({
    roomId: PORTAL,
    eventId: eventId as never,
    remoteRoomId: remoteRoomId("lobby"),
    remoteMessageId: remoteMessageId(remoteId),
  });
  h.timeline.set(eventId, {
    type: "m.room.message",
    sender: "@carol:example.org",
    content: { msgtype: "m.text", body },
  });
}

const sentOf = (h: HandlerUnderTest, method: string) =>
  h.network.filter((d) => d.method === method).map((d) => d.value);

afterEach(async () => {
  await t?.close();
  if (t) removeDir(t.dir);
  t = undefined;
});

describe("Matrix threads reach the plugin as the remote id of their first message", () => {
  it("hands a thread message its root, and no reply when the reply is only the fallback for clients without threads", async () => {
    const h = await portal();
    await bridged(h, "$root", "r-root", "shall we?");
    await bridged(h, "$latest", "r-latest", "yes");
    const relation = {
      rel_type: "m.thread",
      event_id: "$root",
      is_falling_back: true,
      "m.in_reply_to": { event_id: "$latest" },
    };
    await h.handle(
      event("m.room.message", { msgtype: "m.text", body: "in the thread", "m.relates_to": relation }),
    );
    const [sent] = sentOf(h, "sendMessage");
    assert.deepEqual(sent?.["thread"], { root: "r-root" });
    assert.equal(sent?.["reply"], undefined);
  });

  it("keeps a real reply inside a thread", async () => {
    const h = await portal();
    await bridged(h, "$root", "r-root", "shall we?");
    await bridged(h, "$answered", "r-answered", "which one");
    const relation = {
      rel_type: "m.thread",
      event_id: "$root",
      is_falling_back: false,
      "m.in_reply_to": { event_id: "$answered" },
    };
    await h.handle(
      event("m.room.message", { msgtype: "m.text", body: "this one", "m.relates_to": relation }),
    );
    const [sent] = sentOf(h, "sendMessage");
    assert.deepEqual(sent?.["thread"], { root: "r-root" });
    assert.equal((sent?.["reply"] as { to?: string } | undefined)?.to, "r-answered");
  });

  it("sends a message of a thread whose root never reached the network to the room, without a thread", async () => {
    const h = await portal();
    const relation = {
      rel_type: "m.thread",
      event_id: "$unbridged",
      is_falling_back: true,
      "m.in_reply_to": { event_id: "$unbridged" },
    };
    await h.handle(
      event("m.room.message", { msgtype: "m.text", body: "lost root", "m.relates_to": relation }),
    );
    const [sent] = sentOf(h, "sendMessage");
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "lost root" }]);
    assert.equal(sent?.["thread"], undefined);
  });
});

describe("image reactions reach the plugin as their shortcode", () => {
  const imageReaction = (extra: Record<string, unknown>) =>
    event("m.reaction", {
      "m.relates_to": { rel_type: "m.annotation", event_id: "$orig", key: "mxc://example.org/blob" },
      ...extra,
    });

  it("hands a puppet's image reaction to sendReaction as :shortcode:, from either field name", async () => {
    const h = await portal();
    await bridged(h, "$orig", "r-orig", "nice");
    await h.handle(imageReaction({ shortcode: ":blob:" }));
    await h.handle(imageReaction({ "com.beeper.reaction.shortcode": "party" }));
    assert.deepEqual(
      sentOf(h, "sendReaction").map((r) => r["key"]),
      [":blob:", ":party:"],
    );
    assert.ok(!JSON.stringify(h.network).includes("mxc://"), "no mxc URI reaches the plugin");
  });

  it("leaves an image reaction without a shortcode on Matrix", async () => {
    const h = await portal();
    await bridged(h, "$orig", "r-orig", "nice");
    await h.handle(imageReaction({}));
    assert.deepEqual(h.network, []);
  });

  it("says a relayed user's image reaction by its shortcode", async () => {
    const h = await portal(["automaticIdentity"]);
    await bridged(h, "$orig", "r-orig", "nice");
    await h.handle(imageReaction({ shortcode: ":blob:" }));
    const [sent] = sentOf(h, "sendMessage");
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "reacted with :blob: to > <carol> nice" }]);
  });
});

describe("the sender's avatar, as a link through the media proxy", () => {
  it("comes with a sender who has one, and not with one who has none", async () => {
    const h = await portal(["automaticIdentity"]);
    await h.handle(event("m.room.message", { msgtype: "m.text", body: "faceless" }));
    h.avatars.set(ALICE, parseMxcUri("mxc://example.org/alice-face"));
    await h.handle(event("m.room.message", { msgtype: "m.text", body: "with a face" }));
    const [faceless, withFace] = sentOf(h, "sendMessage");
    assert.equal(faceless?.["senderAvatar"], undefined);
    const avatar = withFace?.["senderAvatar"];
    assert.equal(typeof avatar, "function");
    assert.equal((avatar as () => string)(), "https://media.example/mxc://example.org/alice-face");
  });
});

describe("a plugin command opening a portal", () => {
  it("opens it for the user who ran the command", async () => {
    const h = await portal();
    h.commands.register({
      name: "open",
      summary: "a plugin's command entering a remote room",
      run: async (ctx) => ctx.reply(`join ${await ctx.openPortal(remoteRoomId(ctx.args[0] ?? ""))}`),
    });
    await h.store.putUserRecord(ALICE, { managementRoomId: DM });
    h.cache.noteMembership(DM, parseUserId("@bridgebot:example.org"), "join");
    await h.handle(event("m.room.message", { msgtype: "m.text", body: "open lobby" }, DM));
    assert.deepEqual(h.opened, [{ id: "lobby", userId: ALICE }]);
    assert.deepEqual(
      h.said.filter((s) => s.action === "notice").map((s) => s.text),
      ["join #testnet_lobby:example.org"],
    );
  });
});
