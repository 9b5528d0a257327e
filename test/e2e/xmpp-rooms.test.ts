// The XMPP bridge's room life against real Prosody and ejabberd and a real Synapse, with real XMPP clients on the
// other side: subject ↔ topic, affiliations and roles → power levels, kicks both ways, occupants' joins, avatars, nick
// changes and leaves, and the room's refusals (nick taken, banned, a password needed) reaching the Matrix user.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { registerUser } from "../harness/matrix-test-client.ts";
import { ghostOf, useMucSuite, XMPP_SERVERS } from "../harness/xmpp/muc-suite.ts";
import { XmppTestClient } from "../harness/xmpp/xmpp-client.ts";

for (const [software, createServer] of XMPP_SERVERS)
  describe(`XMPP rooms with ${software} and Synapse`, () => {
    const suite = useMucSuite(`xmpp-rooms-${software.toLowerCase()}`, createServer, "rooms");
    const ghost = (occupant: string) => ghostOf(suite().stack, occupant);
    const carolGhost = () => ghost(`${suite().muc}/carol`);

    test("the subject becomes the topic; affiliations and roles become power levels; the topic becomes the subject", async () => {
      const { alice, carol, muc, room } = suite();
      await carol.send(xml("message", { to: muc, type: "groupchat" }, xml("subject", {}, "from xmpp")));
      await alice.waitForEvent((e) => e.type === "m.room.topic" && e.content["topic"] === "from xmpp", {
        roomId: room,
      });
      // Setting the topic takes a moderator in the portal, as in the MUC: the room's owner makes alice one there.
      await carol.send(
        xml(
          "iq",
          { to: muc, type: "set", id: "op-alice" },
          xml(
            "query",
            { xmlns: "http://jabber.org/protocol/muc#admin" },
            xml("item", { nick: "Alice", role: "moderator" }),
          ),
        ),
      );
      await alice.waitForEvent(
        (e) =>
          e.type === "m.room.power_levels" &&
          (e.content["users"] as Record<string, number>)[alice.userId] === 50,
        { roomId: room },
      );
      const levels = await alice.getState<{ users: Record<string, number> }>(room, "m.room.power_levels");
      assert.equal(levels?.users[carolGhost()], 100, "carol owns the MUC, so the portal too");
      await alice.sendState(room, "m.room.topic", "", { topic: "from matrix" });
      await carol.waitFor(
        (s) => s.attrs["from"] === `${muc}/Alice` && s.getChildText("subject") === "from matrix",
        "the subject from alice",
      );
    });

    test("power levels given on Matrix become MUC roles, for occupants and puppets alike", async () => {
      const { alice, carol, muc, room, server, stack } = suite();
      const grace = await XmppTestClient.connect(server, "grace");
      await grace.joinRoom(muc, "grace");
      const henry = await registerUser(stack.synapse, "henry", { displayName: "Henry" });
      try {
        await henry.join(room);
        await henry.sendText(room, "henry is here");
        await carol.waitForBody(`${muc}/Henry`, "henry is here");
        // Changing power levels takes the portal's top level: the room's owner makes alice's JID an owner too.
        const aliceJid = `alice\\3a${stack.synapse.serverName.replaceAll(":", "\\3a")}@${server.componentDomain}`;
        await carol.send(
          xml(
            "iq",
            { to: muc, type: "set", id: "own-alice" },
            xml(
              "query",
              { xmlns: "http://jabber.org/protocol/muc#admin" },
              xml("item", { jid: aliceJid, affiliation: "owner" }),
            ),
          ),
        );
        const owned = await alice.waitForEvent(
          (e) =>
            e.type === "m.room.power_levels" &&
            (e.content["users"] as Record<string, number>)[alice.userId] === 100,
          { roomId: room },
        );
        const roleOf = (nick: string, role: string) => (s: Element) =>
          s.name === "presence" &&
          s.attrs["from"] === `${muc}/${nick}` &&
          s.getChild("x", "http://jabber.org/protocol/muc#user")?.getChild("item")?.attrs["role"] === role;
        const users = { ...(owned.content["users"] as Record<string, number>) };
        const graceGhost = ghost(`${muc}/grace`);
        await alice.sendState(room, "m.room.power_levels", "", {
          ...owned.content,
          users: { ...users, [henry.userId]: 50, [graceGhost]: 50 },
        });
        await carol.waitFor(roleOf("grace", "moderator"), "grace made a moderator");
        await carol.waitFor(roleOf("Henry", "moderator"), "Henry made a moderator");
        const before = carol.stanzas.length;
        await alice.sendState(room, "m.room.power_levels", "", {
          ...owned.content,
          users: { ...users, [henry.userId]: 50 },
        });
        await carol.waitFor(
          (s) => carol.stanzas.indexOf(s) >= before && roleOf("grace", "participant")(s),
          "grace a participant again",
        );
      } finally {
        await henry.close();
        await grace.close();
      }
    });

    test("kicks cross both ways", async () => {
      const { alice, carol, muc, room, server } = suite();
      const frank = await XmppTestClient.connect(server, "frank");
      await frank.joinRoom(muc, "frank");
      const erin = await XmppTestClient.connect(server, "erin");
      await erin.joinRoom(muc, "erin");
      for (const nick of ["frank", "erin"]) {
        await alice.waitForEvent(
          (e) => e.state_key === ghost(`${muc}/${nick}`) && e.content["membership"] === "join",
          {
            roomId: room,
          },
        );
      }
      await carol.send(
        xml(
          "iq",
          { to: muc, type: "set", id: "kick-frank" },
          xml(
            "query",
            { xmlns: "http://jabber.org/protocol/muc#admin" },
            xml("item", { nick: "frank", role: "none" }, xml("reason", {}, "too loud")),
          ),
        ),
      );
      const kicked = await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/frank`) && e.content["membership"] === "leave",
        { roomId: room },
      );
      assert.match(String(kicked.content["reason"]), /kicked.*too loud/);

      // Alice is a moderator in both rooms (see above): her kick goes out as her puppet's.
      await alice.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/kick`, {
        user_id: ghost(`${muc}/erin`),
        reason: "off topic",
      });
      const removal = await erin.waitFor(
        (s) =>
          s.name === "presence" &&
          s.attrs["from"] === `${muc}/erin` &&
          s.attrs["type"] === "unavailable" &&
          s
            .getChild("x", "http://jabber.org/protocol/muc#user")
            ?.getChildren("status")
            .some((c) => c.attrs["code"] === "307") === true,
        "erin's kick",
      );
      assert.equal(
        removal
          .getChild("x", "http://jabber.org/protocol/muc#user")
          ?.getChild("item")
          ?.getChildText("reason"),
        "off topic",
      );
      await frank.close();
      await erin.close();
    });

    test("occupants' joins, avatars, nick changes and leaves show in the room", async () => {
      const { alice, muc, room, stack, server } = suite();
      const dave = await XmppTestClient.connect(server, "dave");
      const photo = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
      await dave.joinRoom(muc, "dave", [await dave.publishAvatar(photo, "image/png")]);
      const withAvatar = await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/dave`) && typeof e.content["avatar_url"] === "string",
        { roomId: room },
      );
      const [mediaServer, mediaId] = String(withAvatar.content["avatar_url"])
        .slice("mxc://".length)
        .split("/");
      const download = await fetch(
        `${stack.synapse.url}/_matrix/client/v1/media/download/${mediaServer}/${mediaId}`,
        {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        },
      );
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), photo);
      await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/dave`) && e.content["membership"] === "join",
        {
          roomId: room,
        },
      );
      await dave.send(xml("presence", { to: `${muc}/davey` }));
      await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/dave`) && e.content["membership"] === "leave",
        {
          roomId: room,
        },
      );
      await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/davey`) && e.content["membership"] === "join",
        {
          roomId: room,
        },
      );
      await dave.leaveRoom(muc, "davey");
      await alice.waitForEvent(
        (e) => e.state_key === ghost(`${muc}/davey`) && e.content["membership"] === "leave",
        {
          roomId: room,
        },
      );
      await dave.close();
    });

    test("a taken nick is worked around; a ban reaches the Matrix user as a notice", async () => {
      const { alice, carol, muc, room, stack, server } = suite();
      const bob = await registerUser(stack.synapse, "bob", { displayName: "carol" });
      await bob.join(room);
      await bob.sendText(room, "not the real carol");
      await carol.waitForBody(`${muc}/carol[m]`, "not the real carol");
      await bob.close();

      const mallory = await registerUser(stack.synapse, "mallory", { displayName: "Mallory" });
      const malloryJid = `mallory\\3a${stack.synapse.serverName.replaceAll(":", "\\3a")}@${server.componentDomain}`;
      const banned = await carol.send(
        xml(
          "iq",
          { to: muc, type: "set", id: "ban-mallory" },
          xml(
            "query",
            { xmlns: "http://jabber.org/protocol/muc#admin" },
            xml("item", { affiliation: "outcast", jid: malloryJid }, xml("reason", {}, "spam")),
          ),
        ),
      );
      assert.equal(banned, undefined);
      await carol.waitFor(
        (s) => s.name === "iq" && s.attrs["id"] === "ban-mallory" && s.attrs["type"] === "result",
        "the ban",
      );
      await mallory.join(room);
      await mallory.sendText(room, "let me in");
      const notice = await alice.waitForEvent(
        (e) => e.content["msgtype"] === "m.notice" && String(e.content["body"]).includes(mallory.userId),
        { roomId: room },
      );
      assert.match(String(notice.content["body"]), /banned/);
      await mallory.close();
    });

    test("a room that needs a password reaches the Matrix user as a notice", async () => {
      const { alice, carol, muc, room, stack } = suite();
      const field = (name: string, value: string) => xml("field", { var: name }, xml("value", {}, value));
      await carol.send(
        xml(
          "iq",
          { to: muc, type: "set", id: "lock-room" },
          xml(
            "query",
            { xmlns: "http://jabber.org/protocol/muc#owner" },
            xml(
              "x",
              { xmlns: "jabber:x:data", type: "submit" },
              field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"),
              field("muc#roomconfig_passwordprotectedroom", "1"),
              field("muc#roomconfig_roomsecret", "sesame"),
            ),
          ),
        ),
      );
      await carol.waitFor(
        (s) => s.attrs["id"] === "lock-room" && s.attrs["type"] === "result",
        "the room locked",
      );
      const oscar = await registerUser(stack.synapse, "oscar", { displayName: "Oscar" });
      await oscar.join(room);
      await oscar.sendText(room, "knock knock");
      const notice = await alice.waitForEvent(
        (e) => e.content["msgtype"] === "m.notice" && String(e.content["body"]).includes(oscar.userId),
        { roomId: room },
      );
      assert.match(String(notice.content["body"]), /password/);
      await oscar.close();
    });
  });
