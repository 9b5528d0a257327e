import assert from "node:assert/strict";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import type { OccupantChange, OccupantPower } from "../src/muc-occupants.ts";
import { MucJoinError, MucRooms } from "../src/muc-rooms.ts";
import type { PresenceInfo } from "../src/presence.ts";

const ROOM = { local: "room", domain: "muc.example.org", resource: "" };
const BOT = "matrix.example.org/bridge";
const PUPPET = "alice\\3aexample.org@matrix.example.org/matrix";

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

function setup() {
  const sent: Element[] = [];
  const changes: OccupantChange[] = [];
  const powers: OccupantPower[] = [];
  const photos: string[] = [];
  const presences: [string, PresenceInfo][] = [];
  const rooms = new MucRooms({
    transport: {
      send: async (stanza) => {
        sent.push(stanza);
      },
    },
    botJid: BOT,
    timeoutMs: 1_000,
    onOccupant: (change) => changes.push(change),
    onPower: (power) => powers.push(power),
    onPhoto: (_, nick) => photos.push(nick),
    onPresence: (_, nick, info) => presences.push([nick, info]),
  });
  const presence = (to: string, nick: string, inner = "", type?: string) =>
    rooms.handlePresence(
      parse(
        `<presence from="room@muc.example.org/${nick}" to="${to}"${type ? ` type="${type}"` : ""}>${inner}</presence>`,
      ),
    );
  const item = (affiliation: string, role: string, codes: string[] = [], extra = "") =>
    `<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="${affiliation}" role="${role}">${extra}</item>${codes
      .map((code) => `<status code="${code}"/>`)
      .join("")}</x>`;
  return { rooms, sent, changes, powers, photos, presences, presence, item };
}

test("a join resolves on the room's self-presence; occupants already there are members, not arrivals", async () => {
  const { rooms, sent, changes, powers, presence, item } = setup();
  const joined = rooms.join(BOT, ROOM, ["Bridge"], { maxstanzas: 5 });
  assert.equal(sent[0]?.attrs["to"], "room@muc.example.org/Bridge");
  presence(BOT, "carol", item("owner", "moderator"));
  presence(BOT, "Bridge", item("none", "participant", ["110"]));
  assert.equal(await joined, "Bridge");
  assert.deepEqual(rooms.membersOf(ROOM), ["carol"]);
  assert.deepEqual(changes, [], "carol was there before the bot");
  assert.deepEqual(powers, [{ room: ROOM, nick: "carol", level: 100 }]);
  presence(BOT, "dave", item("none", "participant"));
  assert.deepEqual(changes, [{ room: ROOM, nick: "dave", change: "join" }]);
});

test("a taken nick is retried with the next one; other refusals fail the join with the reason", async () => {
  const { rooms, sent, presence, item } = setup();
  const botJoin = rooms.join(BOT, ROOM, ["Bridge"], { maxstanzas: 0 });
  presence(BOT, "Bridge", item("none", "participant", ["110"]));
  await botJoin;
  const join = rooms.join(PUPPET, ROOM, ["Alice", "Alice[m]"], { maxstanzas: 0 });
  const conflict = `<error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`;
  presence(PUPPET, "Alice", conflict, "error");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sent.at(-1)?.attrs["to"], "room@muc.example.org/Alice[m]");
  presence(PUPPET, "Alice[m]", item("none", "participant", ["110"]));
  assert.equal(await join, "Alice[m]");
  assert.ok(rooms.isBridgeNick(ROOM, "Alice[m]"));

  const banned = rooms.join("bob\\3aexample.org@matrix.example.org/matrix", ROOM, ["Bob"], { maxstanzas: 0 });
  presence(
    "bob\\3aexample.org@matrix.example.org/matrix",
    "Bob",
    `<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`,
    "error",
  );
  await assert.rejects(banned, (err: unknown) => err instanceof MucJoinError && /banned/.test(err.message));
});

test("departures, kicks with their actor, bans and nick changes are told apart; the bridge's own are not", async () => {
  const { rooms, changes, presence, item } = setup();
  const botJoin = rooms.join(BOT, ROOM, ["Bridge"], { maxstanzas: 0 });
  presence(BOT, "Bridge", item("none", "participant", ["110"]));
  await botJoin;
  for (const nick of ["a", "b", "c", "d"]) presence(BOT, nick, item("none", "participant"));
  changes.length = 0;
  presence(BOT, "a", item("none", "none"), "unavailable");
  presence(
    BOT,
    "b",
    item("none", "none", ["307"], `<actor nick="carol"/><reason>spam</reason>`),
    "unavailable",
  );
  presence(BOT, "c", item("outcast", "none", ["301"]), "unavailable");
  presence(
    BOT,
    "d",
    `<x xmlns="http://jabber.org/protocol/muc#user"><item nick="dee"/><status code="303"/></x>`,
    "unavailable",
  );
  assert.deepEqual(changes, [
    { room: ROOM, nick: "a", change: "leave" },
    { room: ROOM, nick: "b", change: "kick", reason: "spam", actor: "carol" },
    { room: ROOM, nick: "c", change: "ban" },
    { room: ROOM, nick: "d", change: "nick", newNick: "dee" },
  ]);

  const join = rooms.join(PUPPET, ROOM, ["Alice"], { maxstanzas: 0 });
  presence(BOT, "Alice", item("none", "participant"));
  presence(PUPPET, "Alice", item("none", "participant", ["110"]));
  await join;
  changes.length = 0;
  await rooms.leave(PUPPET, ROOM);
  presence(BOT, "Alice", item("none", "none"), "unavailable");
  assert.deepEqual(changes, [], "the puppet's own departure is nobody leaving");
});

test("a new vCard photo hash is reported once per change", async () => {
  const { rooms, photos, presence, item } = setup();
  const botJoin = rooms.join(BOT, ROOM, ["Bridge"], { maxstanzas: 0 });
  presence(BOT, "Bridge", item("none", "participant", ["110"]));
  await botJoin;
  const update = (hash: string) =>
    `${item("none", "participant")}<x xmlns="vcard-temp:x:update"><photo>${hash}</photo></x>`;
  presence(BOT, "carol", update("aaa"));
  presence(BOT, "carol", update("aaa"));
  presence(BOT, "carol", update(""));
  presence(BOT, "carol", update("bbb"));
  assert.deepEqual(photos, ["carol", "carol"]);
});

test("occupants' presence is reported when it changes, offline as they leave; the bridge's own is not", async () => {
  const { rooms, presences, presence, item } = setup();
  const botJoin = rooms.join(BOT, ROOM, ["Bridge"], { maxstanzas: 0 });
  presence(BOT, "carol", item("none", "participant"));
  presence(BOT, "Bridge", item("none", "participant", ["110"]));
  await botJoin;
  presence(BOT, "carol", `<show>away</show><status>lunch</status>${item("none", "participant")}`);
  presence(BOT, "carol", `<show>away</show><status>lunch</status>${item("none", "participant")}`);
  presence(BOT, "carol", `<status>back</status>${item("none", "participant")}`);
  presence(BOT, "Bridge", `<show>xa</show>${item("none", "participant", ["110"])}`);
  presence(BOT, "carol", item("none", "none"), "unavailable");
  assert.deepEqual(presences, [
    ["carol", { state: "online" }],
    ["carol", { state: "unavailable", statusMsg: "lunch" }],
    ["carol", { state: "online", statusMsg: "back" }],
    ["carol", { state: "offline" }],
  ]);
  assert.deepEqual(rooms.roomsOf(BOT), [{ room: ROOM, nick: "Bridge" }]);
  assert.deepEqual(rooms.roomsOf(PUPPET), []);
});
