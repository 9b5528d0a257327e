import assert from "node:assert/strict";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import {
  type MatrixMessage,
  type OutgoingMedia,
  parseUserId,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
} from "bridge-core";
import { readMessage } from "../src/incoming-stanzas.ts";
import { bareJid } from "../src/jid.ts";
import { MessageIds } from "../src/message-ids.ts";
import { MucRooms } from "../src/muc-rooms.ts";
import { Outbound } from "../src/outbound.ts";
import { PuppetJids } from "../src/puppet-jids.ts";
import { Reflections } from "../src/reflections.ts";

const BOT = "matrix.example.org/bridge";
const MUC = "room@muc.example.org";
const ROOM = { local: "room", domain: "muc.example.org", resource: "" };
const alice = parseUserId("@alice:example.org");
const ALICE_PUPPET = "alice\\3aexample.org@matrix.example.org";

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

/** An Outbound against a MUC that lets everyone in under the nick they ask for and stamps every message. */
function setup(uploaded: string | null = null) {
  const sent: Element[] = [];
  const uploads: OutgoingMedia[] = [];
  let stanzaIds = 0;
  const storage = new Map<string, unknown>();
  const store = {
    get: async (k: string) => storage.get(k),
    put: async (k: string, v: unknown) => void storage.set(k, v),
  };
  const reflections = new Reflections();
  const transport = {
    send: async (stanza: Element) => {
      sent.push(stanza);
      const { from, to, id } = stanza.attrs as Record<string, string>;
      if (stanza.name === "presence" && stanza.attrs["type"] === undefined)
        rooms.handlePresence(
          parse(
            `<presence from="${to}" to="${from}"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/><status code="110"/></x></presence>`,
          ),
        );
      if (stanza.name === "message" && stanza.getChild("body") !== undefined) {
        const nick = rooms.nickOf(from!, ROOM);
        const reflected = parse(
          `<message from="${to}/${nick}" to="${from}" id="${id}" type="groupchat"><body/><stanza-id xmlns="urn:xmpp:sid:0" by="${to}" id="s${++stanzaIds}"/></message>`,
        );
        reflections.handle(readMessage(reflected, (jid) => bareJid(jid))!);
      }
    },
    request: async () => parse("<iq/>"),
  };
  const rooms = new MucRooms({
    transport,
    botJid: BOT,
    timeoutMs: 1_000,
    onOccupant: () => {},
    onPower: () => {},
    onPhoto: () => {},
    onPresence: () => {},
  });
  const outbound = new Outbound({
    transport,
    accountJid: () => undefined,
    rooms,
    reflections,
    ids: new MessageIds(store),
    puppets: new PuppetJids("matrix.example.org"),
    storage: store,
    botJid: BOT,
    timeoutMs: 1_000,
    contacts: { noteContact: async () => {} },
    upload: {
      upload: async (media) => {
        uploads.push(media);
        return uploaded;
      },
    },
  });
  return { outbound, rooms, sent, uploads };
}

const side = {
  remoteRoomId: remoteRoomId("room_muc.example.org"),
  sender: alice,
  senderName: "Alice Liddell",
};
const asPuppet: MatrixMessage["as"] = { kind: "puppet", remoteUserId: remoteUserId(ALICE_PUPPET) };
const asRelay: MatrixMessage["as"] = {
  kind: "relay",
  marks: { displayName: "Alice", before: "Alice: ", after: "" },
};
const messages = (sent: Element[]) => sent.filter((s) => s.name === "message");

test("a puppet joins under the sender's name, writes styling, mentions by nick, and replies with XEP-0461", async () => {
  const { outbound, sent } = setup();
  const result = await outbound.message({
    ...side,
    as: asPuppet,
    kind: "text",
    text: [
      { type: "bold", children: [{ type: "text", text: "hi" }] },
      { type: "text", text: " " },
      { type: "mention", user: remoteUserId(`${MUC}/carol`), name: "Carol (XMPP)" },
    ],
    reply: { to: remoteMessageId("s0"), author: "Carol", text: "hello?" },
  });
  assert.equal(sent[0]?.attrs["to"], `${MUC}/Alice Liddell`);
  const [message] = messages(sent);
  assert.equal(message?.attrs["from"], `${ALICE_PUPPET}/matrix`);
  assert.equal(message?.getChildText("body"), "*hi* carol");
  assert.equal(message?.getChild("reply", "urn:xmpp:reply:0")?.attrs["id"], "s0");
  assert.equal(result.remoteMessageId, "s1");
});

test("a relayed message and its edit go out from the bot, with the relay marks on every line", async () => {
  const { outbound, rooms, sent } = setup();
  await rooms.join(BOT, ROOM, ["MatrixBridge"], { maxstanzas: 0 });
  const text = [{ type: "text" as const, text: "one\ntwo" }];
  const { remoteMessageId: target } = await outbound.message({ ...side, as: asRelay, kind: "text", text });
  await outbound.edit({
    ...side,
    as: asRelay,
    kind: "text",
    target: target!,
    text: [{ type: "text", text: "fixed" }],
  });
  const [original, correction] = messages(sent);
  assert.equal(original?.getChildText("body"), "Alice: one\nAlice: two");
  assert.equal(correction?.attrs["from"], BOT);
  assert.equal(correction?.getChildText("body"), "Alice: fixed");
  assert.equal(
    correction?.getChild("replace", "urn:xmpp:message-correct:0")?.attrs["id"],
    original?.attrs["id"],
  );
});

test("a file goes on the upload service when it takes it, else as the file's own link", async () => {
  const media = (link: string): OutgoingMedia => ({
    kind: "image",
    filename: "dog.png",
    link: () => link,
    download: async () => ({ data: new Uint8Array(), contentType: "image/png" }),
  });
  const file = {
    ...side,
    as: asPuppet,
    kind: "text" as const,
    text: [{ type: "text" as const, text: "dog.png" }],
  };
  const uploaded = setup("https://up.example.org/dog.png");
  await uploaded.outbound.message({ ...file, media: media("https://bridge.example.org/media/1") });
  const [viaUpload] = messages(uploaded.sent);
  assert.equal(viaUpload?.getChildText("body"), "https://up.example.org/dog.png");
  assert.equal(
    viaUpload?.getChild("x", "jabber:x:oob")?.getChildText("url"),
    "https://up.example.org/dog.png",
  );
  assert.equal(uploaded.uploads.length, 1);

  const linked = setup(null);
  await linked.outbound.message({ ...file, media: media("https://bridge.example.org/media/1") });
  const [viaLink] = messages(linked.sent);
  assert.equal(viaLink?.getChildText("body"), "https://bridge.example.org/media/1");
  assert.equal(
    viaLink?.getChild("x", "jabber:x:oob")?.getChildText("url"),
    "https://bridge.example.org/media/1",
  );
});
