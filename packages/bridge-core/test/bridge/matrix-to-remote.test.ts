// What the plugin is handed for a Matrix user's message, edit and reaction: the neutral form (rich text, the sender's
// name, relay marks, a reply target and quote), and the core's fallbacks where the plugin lacks a method.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALICE, bridged, fromAlice, PORTAL, relayingPortal } from "./bridge-fixture.ts";

/** Numbers the event ids of the reactions sent below. */
let n = 0;

const message = (content: Record<string, unknown>) => fromAlice("m.room.message", content);

/** A handler with a relaying portal; `lacking` names plugin methods it does not have. */
const portal = relayingPortal();

describe("Matrix → remote, in the neutral form", () => {
  it("hands a relayed message as the sender wrote it, with the relay marks for the plugin to put on each line", async () => {
    const h = await portal(["automaticIdentity"]);
    await h.handle(message({ msgtype: "m.text", body: "one\ntwo" }));
    const sent = h.network.find((d) => d.method === "sendMessage")?.value;
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "one\ntwo" }]);
    assert.equal(sent?.["kind"], "text");
    assert.equal(sent?.["senderName"], "alice");
    assert.deepEqual(sent?.["as"], {
      kind: "relay",
      marks: { displayName: "alice", before: "alice: ", after: "" },
    });
  });

  it("keeps a relayed emote an emote, marked '* name '", async () => {
    const h = await portal(["automaticIdentity"]);
    await h.handle(message({ msgtype: "m.emote", body: "waves" }));
    const sent = h.network.find((d) => d.method === "sendMessage")?.value;
    assert.equal(sent?.["kind"], "emote");
    assert.deepEqual(sent?.["as"], {
      kind: "relay",
      marks: { displayName: "alice", before: "* alice ", after: "" },
    });
  });

  it("gives a reply its target when the original was bridged, and always its author and first line", async () => {
    const h = await portal();
    await bridged(h, "$orig", "r-orig", `first line ${"x".repeat(90)}\nsecond`, "@carol:example.org");
    await h.handle(
      message({
        msgtype: "m.text",
        body: "> <@carol:example.org> first line\n\nagreed",
        "m.relates_to": { "m.in_reply_to": { event_id: "$orig" } },
      }),
    );
    const sent = h.network.find((d) => d.method === "sendMessage")?.value;
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "agreed" }]);
    assert.deepEqual(sent?.["reply"], {
      to: "r-orig",
      author: "carol",
      text: `${`first line ${"x".repeat(90)}`.slice(0, 80)}…`,
    });
  });

  it("sends a relayed user's edit to sendEdit when the plugin has it", async () => {
    const h = await portal(["automaticIdentity"]);
    await bridged(h, "$mine", "r-mine", "helo", ALICE);
    await h.handle(
      message({
        msgtype: "m.text",
        body: "* hello",
        "m.new_content": { msgtype: "m.text", body: "hello" },
        "m.relates_to": { rel_type: "m.replace", event_id: "$mine" },
      }),
    );
    const edit = h.network.find((d) => d.method === "sendEdit")?.value;
    assert.equal(edit?.["target"], "r-mine");
    assert.deepEqual(edit?.["text"], [{ type: "text", text: "hello" }]);
    assert.equal((edit?.["as"] as { kind: string } | undefined)?.kind, "relay");
  });

  it("without sendEdit, sends an edit as a new message starting with '* '", async () => {
    const h = await portal(["sendEdit"]);
    await bridged(h, "$mine", "r-mine", "helo", ALICE);
    await h.handle(
      message({
        msgtype: "m.text",
        body: "* hello",
        "m.new_content": { msgtype: "m.text", body: "hello" },
        "m.relates_to": { rel_type: "m.replace", event_id: "$mine" },
      }),
    );
    const sent = h.network.filter((d) => d.method === "sendMessage").map((d) => d.value["text"]);
    assert.deepEqual(sent, [
      [
        { type: "text", text: "* " },
        { type: "text", text: "hello" },
      ],
    ]);
  });

  it("without sendReaction, says who reacted with what to which message", async () => {
    const h = await portal(["sendReaction"]);
    await bridged(h, "$orig", "r-orig", "quotable", "@carol:example.org");
    await h.handle({
      type: "m.reaction",
      event_id: `$r${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$orig", key: "❤️" } },
    });
    const sent = h.network.find((d) => d.method === "sendMessage")?.value;
    assert.equal(sent?.["kind"], "text");
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "alice reacted with ❤️ to > <carol> quotable" }]);
  });

  it("sends a relayed user's reaction as an emote whose marks name them", async () => {
    const h = await portal(["automaticIdentity"]);
    await bridged(h, "$orig", "r-orig", "quotable", "@carol:example.org");
    await h.handle({
      type: "m.reaction",
      event_id: `$r${++n}`,
      room_id: PORTAL,
      sender: ALICE,
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$orig", key: "👍" } },
    });
    assert.equal(
      h.network.some((d) => d.method === "sendReaction"),
      false,
    );
    const sent = h.network.find((d) => d.method === "sendMessage")?.value;
    assert.equal(sent?.["kind"], "emote");
    assert.deepEqual(sent?.["text"], [{ type: "text", text: "reacted with 👍 to > <carol> quotable" }]);
    assert.deepEqual(sent?.["as"], {
      kind: "relay",
      marks: { displayName: "alice", before: "* alice ", after: "" },
    });
  });
});
