// Part of the store contract (store-contract.ts): the records the bridge looks up by key, room and event links,
// per-user and per-plugin data, notices given, and the credentials it keeps sealed.

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  parseEventId,
  parseRoomId,
  parseUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
} from "../../src/ids.ts";
import type { EventLink, RoomLink } from "../../src/store/store.ts";
import type { ContractSession } from "./store-contract.ts";

export function describeRecordsContract(ctx: ContractSession): void {
  describe("room links", () => {
    const portal: RoomLink = {
      roomId: parseRoomId("!portal:example.org"),
      remoteRoomId: remoteRoomId("#chan"),
      kind: "portal",
      createdAt: 1700000000000,
    };
    const plumbed: RoomLink = {
      roomId: parseRoomId("!plumbed:example.org"),
      remoteRoomId: remoteRoomId("#other"),
      kind: "plumbed",
      linkedBy: parseUserId("@admin:example.org"),
      createdAt: 1700000000001,
    };

    it("finds a link by its Matrix room and by its remote room", async () => {
      await ctx.store.putRoomLink(portal);
      await ctx.store.putRoomLink(plumbed);
      assert.deepEqual(await ctx.store.getRoomLinkByMatrix(portal.roomId), portal);
      assert.deepEqual(await ctx.store.getRoomLinkByRemote(portal.remoteRoomId), portal);
      assert.deepEqual(await ctx.store.getRoomLinkByMatrix(plumbed.roomId), plumbed);
      assert.deepEqual(await ctx.store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
      assert.equal(await ctx.store.getRoomLinkByMatrix(parseRoomId("!nope:example.org")), null);
      assert.equal(await ctx.store.getRoomLinkByRemote(remoteRoomId("#nope")), null);
    });

    it("deletes both directions of a link, and only that link", async () => {
      await ctx.store.putRoomLink(portal);
      await ctx.store.putRoomLink(plumbed);
      assert.equal(await ctx.store.countRoomLinks(), 2);
      await ctx.store.deleteRoomLink(portal.roomId);
      assert.equal(await ctx.store.getRoomLinkByMatrix(portal.roomId), null);
      assert.equal(await ctx.store.getRoomLinkByRemote(portal.remoteRoomId), null);
      assert.deepEqual(await ctx.store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
      assert.equal(await ctx.store.countRoomLinks(), 1);
      await ctx.store.deleteRoomLink(parseRoomId("!never-linked:example.org"));
      assert.equal(await ctx.store.countRoomLinks(), 1);
    });

    it("counts links and keeps them across reopen", async () => {
      assert.equal(await ctx.store.countRoomLinks(), 0);
      await ctx.store.putRoomLink(portal);
      await ctx.store.putRoomLink(portal);
      assert.equal(await ctx.store.countRoomLinks(), 1);
      await ctx.store.putRoomLink(plumbed);
      await ctx.reopen();
      assert.equal(await ctx.store.countRoomLinks(), 2);
      assert.deepEqual(await ctx.store.getRoomLinkByRemote(plumbed.remoteRoomId), plumbed);
    });

    it("lists every link", async () => {
      await ctx.store.putRoomLink(portal);
      await ctx.store.putRoomLink(plumbed);
      const listed = (await ctx.store.listRoomLinks()).map((l) => l.remoteRoomId).sort();
      assert.deepEqual(listed, [portal.remoteRoomId, plumbed.remoteRoomId].sort());
    });

    it("forgets the old remote room when a room is linked to another one", async () => {
      await ctx.store.putRoomLink(plumbed);
      const relinked: RoomLink = { ...plumbed, remoteRoomId: remoteRoomId("#moved") };
      await ctx.store.putRoomLink(relinked);
      assert.equal(await ctx.store.getRoomLinkByRemote(plumbed.remoteRoomId), null);
      assert.deepEqual(await ctx.store.getRoomLinkByRemote(relinked.remoteRoomId), relinked);
    });
  });

  describe("event links", () => {
    const link: EventLink = {
      roomId: parseRoomId("!room:example.org"),
      eventId: parseEventId("$event1"),
      remoteRoomId: remoteRoomId("a"),
      remoteMessageId: remoteMessageId("bc"),
    };

    it("finds a link from either side", async () => {
      await ctx.store.putEventLink(link);
      assert.deepEqual(await ctx.store.getEventLinkByMatrix(link.roomId, link.eventId), link);
      assert.deepEqual(await ctx.store.getEventLinkByRemote(link.remoteRoomId, link.remoteMessageId), link);
      assert.equal(await ctx.store.getEventLinkByMatrix(link.roomId, parseEventId("$event2")), null);
      assert.equal(
        await ctx.store.getEventLinkByMatrix(parseRoomId("!other:example.org"), link.eventId),
        null,
      );
      assert.equal(await ctx.store.getEventLinkByRemote(link.remoteRoomId, remoteMessageId("b")), null);
    });

    it("never confuses ids whose concatenations are equal", async () => {
      await ctx.store.putEventLink(link);
      assert.equal(await ctx.store.getEventLinkByRemote(remoteRoomId("ab"), remoteMessageId("c")), null);
      assert.equal(await ctx.store.getEventLinkByRemote(remoteRoomId(""), remoteMessageId("abc")), null);
    });

    it("keeps links across reopen", async () => {
      await ctx.store.putEventLink(link);
      await ctx.reopen();
      assert.deepEqual(await ctx.store.getEventLinkByRemote(link.remoteRoomId, link.remoteMessageId), link);
    });
  });

  describe("user records", () => {
    const alice = parseUserId("@alice:example.org");

    it("is empty for an unknown user, and keeps what was put across reopen", async () => {
      assert.deepEqual(await ctx.store.getUserRecord(alice), {});
      await ctx.store.putUserRecord(alice, { managementRoomId: parseRoomId("!dm:example.org") });
      assert.deepEqual(await ctx.store.getUserRecord(alice), { managementRoomId: "!dm:example.org" });
      assert.deepEqual(await ctx.store.getUserRecord(parseUserId("@bob:example.org")), {});
      await ctx.reopen();
      assert.deepEqual(await ctx.store.getUserRecord(alice), { managementRoomId: "!dm:example.org" });
      await ctx.store.putUserRecord(alice, {});
      assert.deepEqual(await ctx.store.getUserRecord(alice), {});
    });
  });

  describe("plugin data", () => {
    it("keeps any JSON value by key across reopen, and deletes it", async () => {
      await ctx.store.putPluginData("irc:nick:@a:example.org", "alice_");
      await ctx.store.putPluginData("irc:pass:@a:example.org", { cipher: "x", iv: "y" });
      await ctx.reopen();
      assert.equal(await ctx.store.getPluginData("irc:nick:@a:example.org"), "alice_");
      assert.deepEqual(await ctx.store.getPluginData("irc:pass:@a:example.org"), { cipher: "x", iv: "y" });
      await ctx.store.deletePluginData("irc:nick:@a:example.org");
      assert.equal(await ctx.store.getPluginData("irc:nick:@a:example.org"), null);
    });
  });

  describe("notices given", () => {
    it("remembers a notice's situation by room and topic across reopen", async () => {
      const room = parseRoomId("!r:example.org");
      assert.equal(await ctx.store.getNoticeGiven(room, "encrypted"), null);
      await ctx.store.putNoticeGiven(room, "encrypted", "m.megolm");
      await ctx.store.putNoticeGiven(room, "unpermitted:@a:example.org", "level 0");
      await ctx.reopen();
      assert.equal(await ctx.store.getNoticeGiven(room, "encrypted"), "m.megolm");
      await ctx.store.putNoticeGiven(room, "encrypted", "other");
      assert.equal(await ctx.store.getNoticeGiven(room, "encrypted"), "other");
      assert.equal(await ctx.store.getNoticeGiven(parseRoomId("!s:example.org"), "encrypted"), null);
    });
  });

  describe("credentials", () => {
    const ALICE = parseUserId("@alice:example.org");
    const PASSWORD = '  xmpp pass  word "with" \\ and é ';

    it("keeps login sessions sealed, and gives them back whole, also after a restart", async () => {
      const login = {
        remoteUserId: remoteUserId("alice@xmpp.example"),
        session: { jid: "a@x", password: PASSWORD },
      };
      await ctx.store.putLogin(ALICE, login);
      assert.deepEqual(await ctx.store.getLogin(ALICE), login);
      await ctx.reopen();
      assert.deepEqual(await ctx.store.getLogin(ALICE), login);
      assert.deepEqual(await ctx.store.listLogins(), [{ userId: ALICE, login }]);
      assert.equal(await ctx.store.getUserByRemote(login.remoteUserId), ALICE);
      const raw = await ctx.under.rawText();
      assert.ok(raw.includes("alice@xmpp.example"), "the remote id stays readable, for the index");
      for (const part of ["xmpp pass", "pass  word", "with"]) assert.ok(!raw.includes(part), part);
      await ctx.store.deleteLogin(ALICE);
      assert.equal(await ctx.store.getLogin(ALICE), null);
      assert.equal(await ctx.store.getUserByRemote(login.remoteUserId), null);
    });

    it("leaves out a login sealed with another key: its user logs in again", async () => {
      await ctx.store.putLogin(ALICE, {
        remoteUserId: remoteUserId("alice"),
        session: { password: PASSWORD },
      });
      await ctx.store.close();
      ctx.store = await ctx.under.open({
        keyFile: join(mkdtempSync(join(tmpdir(), "bridge-other-key-")), "other.key"),
      });
      assert.equal(await ctx.store.getLogin(ALICE), null);
      assert.deepEqual(await ctx.store.listLogins(), []);
      await ctx.store.deleteLogin(ALICE);
      assert.equal(await ctx.store.getUserByRemote(remoteUserId("alice")), null);
    });

    it("keeps the bridge's own secrets sealed, the same value at every start", async () => {
      const made = await ctx.store.bridgeSecret("media-links", () => "new-media-key-value");
      assert.equal(await ctx.store.bridgeSecret("media-links", () => "other"), made);
      await ctx.reopen();
      assert.equal(await ctx.store.bridgeSecret("media-links", () => "other"), "new-media-key-value");
      assert.ok(!(await ctx.under.rawText()).includes("media-key-value"));
    });

    it("reports itself healthy while it can be written", async () => {
      assert.deepEqual(ctx.store.health(), { ok: true });
    });
  });
}
