import assert from "node:assert/strict";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import fc from "fast-check";
import { readMessage, stanzaError } from "../src/incoming-stanzas.ts";
import { powerOf } from "../src/muc-occupants.ts";
import { chatState, mucJoin, reactions, retraction, textMessage } from "../src/outgoing-stanzas.ts";
import { photoOf } from "../src/vcard-avatars.ts";
import { nickFrom, xmlSafe } from "../src/xml-text.ts";

/** Serialises and parses again, as the wire would: what a server would read. */
function overTheWire(element: Element): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el: Element) => {
    parsed = el;
  });
  parser.on("error", (err: Error) => {
    throw err;
  });
  parser.write(`<stream>${element.toString()}`);
  if (parsed === undefined) throw new Error("nothing parsed");
  return parsed;
}

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el: Element) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

const ROOM = "room@muc.example.org";
const roomOf = () => ROOM;

test("a body of any text survives the builders and the parser exactly, apart from what XML cannot carry", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
      const sent = textMessage({ from: "a@b/c", to: ROOM, type: "groupchat", id: "x", body: text });
      const received = overTheWire(sent);
      assert.equal(received.getChildText("body"), xmlSafe(text));
      assert.equal(received.getChildren("body").length, 1);
      assert.deepEqual(
        received.children.filter((c) => typeof c !== "string").map((c) => (c as Element).name),
        ["body", "origin-id", "active"],
        "no element injected",
      );
    }),
  );
});

test("xmlSafe drops what XML 1.0 forbids and keeps everything else", () => {
  assert.equal(
    xmlSafe("a\x00b\x01\x08\x0b\x0c\x0e\x1fc\tline\r\nnext\rlast\ufffe\uffff"),
    "abc\tline\nnext\nlast",
  );
  assert.equal(xmlSafe("emoji 🎉 and a lone \ud83c surrogate"), "emoji 🎉 and a lone  surrogate");
  assert.equal(nickFrom("  Mal\x07lory\n the\tgreat  ", "fallback"), "Mallory the great");
  assert.equal(nickFrom("\x01\x02 ", "fallback"), "fallback");
  assert.equal([...nickFrom("x".repeat(100), "f")].length, 48);
});

test("outgoing stanzas carry the XEPs' elements", () => {
  const correction = overTheWire(
    textMessage({
      from: "a@b/c",
      to: ROOM,
      type: "groupchat",
      id: "2",
      body: "fixed",
      replace: "1",
      reply: { id: "0" },
    }),
  );
  assert.equal(correction.getChild("replace", "urn:xmpp:message-correct:0")?.attrs["id"], "1");
  assert.equal(correction.getChild("reply", "urn:xmpp:reply:0")?.attrs["id"], "0");
  const retract = overTheWire(
    retraction({ from: "a@b/c", to: ROOM, type: "groupchat", id: "3", target: "1" }),
  );
  assert.equal(retract.getChild("retract", "urn:xmpp:message-retract:1")?.attrs["id"], "1");
  const react = overTheWire(
    reactions({ from: "a@b/c", to: ROOM, type: "groupchat", id: "4", target: "1", keys: ["👍", "<&>"] }),
  );
  assert.deepEqual(
    react
      .getChild("reactions", "urn:xmpp:reactions:0")
      ?.getChildren("reaction")
      .map((r) => r.text()),
    ["👍", "<&>"],
  );
  const typing = overTheWire(
    chatState({ from: "a@b/c", to: ROOM, type: "groupchat", id: "5", state: "composing" }),
  );
  assert.ok(typing.getChild("composing", "http://jabber.org/protocol/chatstates"));
  const join = overTheWire(
    mucJoin({ from: "a@b/c", occupant: `${ROOM}/<nick> & "co"`, history: { since: new Date(0) } }),
  );
  assert.equal(join.attrs["to"], `${ROOM}/<nick> & "co"`);
  assert.equal(
    join.getChild("x", "http://jabber.org/protocol/muc")?.getChild("history")?.attrs["since"],
    "1970-01-01T00:00:00.000Z",
  );
});

test("incoming messages: text with the room's stanza-id and a delay, replies without their fallback", () => {
  const message = readMessage(
    parse(
      `<message from="${ROOM}/carol" to="bot@m/bridge" type="groupchat" id="c1">` +
        `<body>&gt; original\nmy answer</body><reply xmlns="urn:xmpp:reply:0" id="s0"/>` +
        `<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="11"/></fallback>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" by="someone@else" id="forged"/>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" by="${ROOM}" id="s1"/>` +
        `<delay xmlns="urn:xmpp:delay" stamp="2024-01-02T03:04:05Z"/></message>`,
    ),
    roomOf,
  );
  assert.deepEqual(message, {
    from: { local: "room", domain: "muc.example.org", resource: "carol" },
    to: { local: "bot", domain: "m", resource: "bridge" },
    type: "groupchat",
    id: "c1",
    stanzaId: "s1",
    sentAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    kind: "text",
    body: "my answer",
    replyTo: "s0",
  });
});

test("incoming corrections, retractions (both versions), reactions, chat states and subjects", () => {
  const read = (inner: string, type = "groupchat") =>
    readMessage(parse(`<message from="${ROOM}/carol" to="b@m" type="${type}">${inner}</message>`), roomOf);
  assert.equal(
    read(`<body>new</body><replace xmlns="urn:xmpp:message-correct:0" id="c1"/>`)?.kind,
    "correction",
  );
  assert.deepEqual(
    [read(`<retract xmlns="urn:xmpp:message-retract:1" id="s1"/>`)].map(
      (m) => m?.kind === "retraction" && m.target,
    ),
    ["s1"],
  );
  assert.deepEqual(
    [
      read(
        `<apply-to xmlns="urn:xmpp:fasten:0" id="s2"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>`,
      ),
    ].map((m) => m?.kind === "retraction" && m.target),
    ["s2"],
  );
  const reacted = read(
    `<reactions xmlns="urn:xmpp:reactions:0" id="s1"><reaction>👍</reaction><reaction>👍</reaction><reaction>🎉</reaction></reactions>`,
  );
  assert.deepEqual(reacted?.kind === "reactions" && reacted.keys, ["👍", "🎉"]);
  const typing = read(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`);
  assert.equal(typing?.kind === "chat-state" && typing.state, "composing");
  const displayed = read(`<displayed xmlns="urn:xmpp:chat-markers:0" id="s9"/>`);
  assert.equal(displayed?.kind === "displayed" && displayed.target, "s9");
  assert.equal(read(`<displayed xmlns="urn:xmpp:chat-markers:0"/>`), null, "a marker must name a message");
  const subject = read(`<subject>new &amp; topic</subject>`);
  assert.equal(subject?.kind === "subject" && subject.subject, "new & topic");
  assert.equal(read(`<subject>x</subject>`, "chat"), null, "only a room has a subject");
  assert.equal(read(`<unknown xmlns="urn:example"/>`), null);
  assert.equal(readMessage(parse(`<message to="b@m"><body>no sender</body></message>`)), null);
});

test("stanza errors are read with their condition and text", () => {
  const error = parse(
    `<presence from="${ROOM}/x" type="error"><error type="cancel">` +
      `<conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
      `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Nickname in use</text></error></presence>`,
  );
  assert.deepEqual(stanzaError(error), { condition: "conflict", text: "Nickname in use" });
  assert.equal(stanzaError(parse(`<presence from="${ROOM}/x"/>`)), null);
});

test("affiliations and roles map to power levels", () => {
  assert.equal(powerOf("owner", "moderator"), 100);
  assert.equal(powerOf("admin", "participant"), 50);
  assert.equal(powerOf("member", "moderator"), 50);
  assert.equal(powerOf("none", "participant"), 0);
  assert.equal(powerOf(undefined, undefined), 0);
});

test("a vCard's photo is read with its type; a missing, empty or malformed one is none", () => {
  const answer = (photo: string) =>
    parse(`<iq type="result"><vCard xmlns="vcard-temp">${photo}</vCard></iq>`);
  const png = Buffer.from("89504e47", "hex");
  const read = photoOf(
    answer(`<PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString("base64")}\n</BINVAL></PHOTO>`),
  );
  assert.deepEqual(read && { data: Buffer.from(read.data), type: read.type }, {
    data: png,
    type: "image/png",
  });
  assert.equal(
    photoOf(answer(`<PHOTO><TYPE>text/html</TYPE><BINVAL>${png.toString("base64")}</BINVAL></PHOTO>`))?.type,
    "image/png",
    "only image types are taken as given",
  );
  assert.equal(photoOf(answer("")), null);
  assert.equal(photoOf(answer("<PHOTO><BINVAL></BINVAL></PHOTO>")), null);
  assert.equal(photoOf(answer("<PHOTO><BINVAL>not base64!</BINVAL></PHOTO>")), null);
});
