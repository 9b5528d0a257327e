// What the plugin is handed for the parts of a Matrix message that grew the contract: the thread it is in (as the
// remote id of the thread's first message), an image reaction (as its `:shortcode:`, never its mxc URI), the
// sender's avatar (as a proxy link), and a plugin command opening a portal for the user who ran it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMxcUri, parseRoomId, parseUserId, remoteRoomId } from "../../src/ids.ts";
import { ALICE, bridged, fromAlice, type HandlerUnderTest, relayingPortal } from "./bridge-fixture.ts";

const DM = parseRoomId("!dm:example.org");

const portal = relayingPortal();

const sentOf = (h: HandlerUnderTest, method: string) =>
  h.network.filter((d) => d.method === method).map((d) => d.value);

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
      fromAlice("m.room.message", { msgtype: "m.text", body: "in the thread", "m.relates_to": relation }),
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
      fromAlice("m.room.message", { msgtype: "m.text", body: "this one", "m.relates_to": relation }),
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
      fromAlice("m.room.message", { msgtype: "m.text", body: "lost root", "m.relates_to": relation }),
    );
    const [sent] = sentOf(h, "sendMessage");
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "lost root" }]);
    assert.equal(sent?.["thread"], undefined);
  });
});

describe("image reactions reach the plugin as their shortcode", () => {
  const imageReaction = (extra: Record<string, unknown>) =>
    fromAlice("m.reaction", {
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
    await h.handle(fromAlice("m.room.message", { msgtype: "m.text", body: "faceless" }));
    h.avatars.set(ALICE, parseMxcUri("mxc://example.org/alice-face"));
    await h.handle(fromAlice("m.room.message", { msgtype: "m.text", body: "with a face" }));
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
    await h.handle(fromAlice("m.room.message", { msgtype: "m.text", body: "open lobby" }, DM));
    assert.deepEqual(h.opened, [{ id: "lobby", userId: ALICE }]);
    assert.deepEqual(
      h.said.filter((s) => s.action === "notice").map((s) => s.text),
      ["join #testnet_lobby:example.org"],
    );
  });
});
