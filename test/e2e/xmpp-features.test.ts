// The XMPP bridge's message features against real Prosody and ejabberd and a real Synapse, with a real XMPP client
// on the other side: XEP-0308 corrections ↔ edits, XEP-0424 retractions ↔ redactions, XEP-0461 replies, XEP-0444
// reactions, XEP-0085 chat states ↔ typing and XEP-0333 markers.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { ghostOf, stanzaIdIn, useMucSuite, XMPP_SERVERS } from "../harness/xmpp/muc-suite.ts";

for (const [software, createServer] of XMPP_SERVERS)
  describe(`XMPP features with ${software} and Synapse`, () => {
    const suite = useMucSuite(`xmpp-features-${software.toLowerCase()}`, createServer, "features");
    const ghost = (occupant: string) => ghostOf(suite().stack, occupant);
    const carolGhost = () => ghost(`${suite().muc}/carol`);
    const stanzaIdOf = (message: Element) => stanzaIdIn(message, suite().muc);
    /** Carol says something and waits until it is in the room; resolves with its event id and the room's id for it. */
    const carolSays = async (body: string, id: string) => {
      const { carol, alice, muc, room } = suite();
      await carol.say(muc, body, { id });
      const reflected = await carol.waitFor(
        (s) => s.name === "message" && s.attrs["id"] === id && s.attrs["from"] === `${muc}/carol`,
        `the reflection of ${id}`,
      );
      const event = await alice.waitForEvent((e) => e.sender === carolGhost() && e.content["body"] === body, {
        roomId: room,
      });
      return { eventId: event.event_id!, stanzaId: stanzaIdOf(reflected) };
    };
    /** Alice says something; resolves with its event id and the message as carol got it. */
    const aliceSays = async (body: string) => {
      const { carol, alice, muc, room } = suite();
      const eventId = await alice.sendText(room, body);
      const message = await carol.waitForBody(`${muc}/Alice`, body);
      return { eventId, message };
    };

    test("XEP-0308 corrections become edits, and edits corrections", async () => {
      const { alice, carol, muc, room } = suite();
      const original = await carolSays("helo", "carol-typo");
      await carol.send(
        xml(
          "message",
          { to: muc, type: "groupchat", id: "carol-fix" },
          xml("body", {}, "hello"),
          xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "carol-typo" }),
        ),
      );
      const edit = await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "* hello",
        {
          roomId: room,
        },
      );
      assert.deepEqual(edit.content["m.relates_to"], { rel_type: "m.replace", event_id: original.eventId });

      const mine = await aliceSays("wrold");
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "* world",
        "m.new_content": { msgtype: "m.text", body: "world" },
        "m.relates_to": { rel_type: "m.replace", event_id: mine.eventId },
      });
      const correction = await carol.waitForBody(`${muc}/Alice`, "world");
      assert.equal(
        correction.getChild("replace", "urn:xmpp:message-correct:0")?.attrs["id"],
        mine.message.attrs["id"],
      );
    });

    test("XEP-0424 retractions become redactions, and redactions retractions", async () => {
      const { alice, carol, muc, room } = suite();
      const said = await carolSays("oops, wrong room", "carol-oops");
      await carol.send(
        xml(
          "message",
          { to: muc, type: "groupchat", id: "carol-retract" },
          xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: said.stanzaId }),
        ),
      );
      await alice.waitForEvent((e) => e.type === "m.room.redaction" && e.redacts === said.eventId, {
        roomId: room,
      });

      const mine = await aliceSays("to be taken back");
      await alice.redact(room, mine.eventId);
      const retraction = await carol.waitFor(
        (s) => s.getChild("retract", "urn:xmpp:message-retract:1")?.attrs["id"] === stanzaIdOf(mine.message),
        "alice's retraction",
      );
      assert.equal(retraction.attrs["from"], `${muc}/Alice`);
    });

    test("XEP-0461 replies cross both ways", async () => {
      const { alice, carol, muc, room } = suite();
      const mine = await aliceSays("a question");
      await carol.say(muc, "an answer", {
        extra: [
          xml("reply", { xmlns: "urn:xmpp:reply:0", to: `${muc}/Alice`, id: stanzaIdOf(mine.message) }),
        ],
      });
      const answer = await alice.waitForEvent(
        (e) => e.sender === carolGhost() && e.content["body"] === "an answer",
        {
          roomId: room,
        },
      );
      assert.deepEqual(answer.content["m.relates_to"], { "m.in_reply_to": { event_id: mine.eventId } });

      const question = await carolSays("another question", "carol-question");
      await alice.sendMessage(room, {
        msgtype: "m.text",
        body: "another answer",
        "m.relates_to": { "m.in_reply_to": { event_id: question.eventId } },
      });
      const reply = await carol.waitForBody(`${muc}/Alice`, "another answer");
      assert.equal(reply.getChild("reply", "urn:xmpp:reply:0")?.attrs["id"], question.stanzaId);
    });

    test("XEP-0444 reactions cross both ways, and taking one back removes it", async () => {
      const { alice, carol, muc, room } = suite();
      const mine = await aliceSays("react to me");
      const reactions = (keys: string[]) =>
        xml(
          "message",
          { to: muc, type: "groupchat", id: `react-${keys.length}` },
          xml(
            "reactions",
            { xmlns: "urn:xmpp:reactions:0", id: stanzaIdOf(mine.message) },
            ...keys.map((key) => xml("reaction", {}, key)),
          ),
        );
      await carol.send(reactions(["👍"]));
      const reaction = await alice.waitForEvent((e) => e.type === "m.reaction" && e.sender === carolGhost(), {
        roomId: room,
      });
      assert.deepEqual(reaction.content["m.relates_to"], {
        rel_type: "m.annotation",
        event_id: mine.eventId,
        key: "👍",
      });
      await carol.send(reactions([]));
      await alice.waitForEvent((e) => e.type === "m.room.redaction" && e.redacts === reaction.event_id, {
        roomId: room,
      });

      const theirs = await carolSays("react to this", "carol-react");
      const reactionId = await alice.sendEvent(room, "m.reaction", {
        "m.relates_to": { rel_type: "m.annotation", event_id: theirs.eventId, key: "🎉" },
      });
      const added = await carol.waitFor(
        (s) => s.getChild("reactions", "urn:xmpp:reactions:0")?.attrs["id"] === theirs.stanzaId,
        "alice's reaction",
      );
      assert.deepEqual(
        added
          .getChild("reactions", "urn:xmpp:reactions:0")
          ?.getChildren("reaction")
          .map((r) => r.text()),
        ["🎉"],
      );
      await alice.redact(room, reactionId);
      await carol.waitFor(
        (s) =>
          s !== added &&
          s.getChild("reactions", "urn:xmpp:reactions:0")?.attrs["id"] === theirs.stanzaId &&
          s.getChild("reactions", "urn:xmpp:reactions:0")?.getChildren("reaction").length === 0,
        "alice taking her reaction back",
      );
    });

    test("XEP-0085 chat states become typing, and typing chat states", async () => {
      const { alice, carol, muc, room } = suite();
      await carol.send(
        xml(
          "message",
          { to: muc, type: "groupchat" },
          xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }),
        ),
      );
      await alice.waitForEvent(
        (e) => e.type === "m.typing" && ((e.content["user_ids"] as string[]) ?? []).includes(carolGhost()),
        { roomId: room },
      );
      await alice.request(
        "PUT",
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/typing/${encodeURIComponent(alice.userId)}`,
        {
          typing: true,
          timeout: 10_000,
        },
      );
      await carol.waitFor(
        (s) =>
          s.attrs["from"] === `${muc}/Alice` &&
          s.getChild("composing", "http://jabber.org/protocol/chatstates") !== undefined,
        "alice composing",
      );
    });

    test("XEP-0333: a displayed marker becomes the ghost's read receipt", async () => {
      const { alice, carol, muc, room } = suite();
      const said = await aliceSays("have you read this?");
      await carol.send(
        xml(
          "message",
          { to: muc, type: "groupchat", id: "carol-displayed" },
          xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: stanzaIdOf(said.message) }),
        ),
      );
      await alice.waitForEvent(
        (e) =>
          e.type === "m.receipt" &&
          Object.keys(
            (e.content[said.eventId] as { "m.read"?: Record<string, unknown> } | undefined)?.["m.read"] ?? {},
          ).includes(carolGhost()),
        { roomId: room },
      );
    });

    test("XEP-0333: a read receipt becomes a displayed marker", async () => {
      const { alice, carol, muc, room } = suite();
      const said = await carolSays("did you read this?", "carol-read");
      await alice.request(
        "POST",
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/receipt/m.read/${encodeURIComponent(said.eventId)}`,
        {},
      );
      await carol.waitFor(
        (s) =>
          s.attrs["from"] === `${muc}/Alice` &&
          s.getChild("displayed", "urn:xmpp:chat-markers:0")?.attrs["id"] === said.stanzaId,
        "alice's displayed marker",
      );
    });
  });
