import assert from "node:assert/strict";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import { presenceStanza, readPresence } from "../src/presence.ts";

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el: Element) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

test("XMPP presence reads as Matrix presence", () => {
  const cases: [string, ReturnType<typeof readPresence>][] = [
    ["<presence/>", { state: "online" }],
    ["<presence><show>chat</show><status>hi</status></presence>", { state: "online", statusMsg: "hi" }],
    [
      "<presence><show>away</show><status> lunch </status></presence>",
      { state: "unavailable", statusMsg: "lunch" },
    ],
    ["<presence><show>xa</show></presence>", { state: "unavailable" }],
    [
      "<presence><show>dnd</show><status>busy</status></presence>",
      { state: "unavailable", statusMsg: "busy" },
    ],
    ["<presence type='unavailable'><status>bye</status></presence>", { state: "offline", statusMsg: "bye" }],
    ["<presence type='subscribe'/>", null],
    ["<presence type='error'/>", null],
    ["<presence type='probe'/>", null],
  ];
  for (const [xml, expected] of cases) assert.deepEqual(readPresence(parse(xml)), expected, xml);
});

test("Matrix presence goes out as XMPP presence, staying in rooms when offline", () => {
  const base = { from: "a@matrix.example.org/matrix", to: "room@muc.example.org/A" };
  const away = presenceStanza({
    ...base,
    inRoom: true,
    state: "unavailable",
    statusMsg: "</status><x/>\u0007",
  });
  assert.equal(away.getChildText("show"), "away");
  assert.equal(parse(away.toString()).getChildText("status"), "</status><x/>");
  assert.equal(parse(away.toString()).getChildren("x").length, 0);
  const roomOffline = presenceStanza({ ...base, inRoom: true, state: "offline" });
  assert.equal(roomOffline.attrs["type"], undefined);
  assert.equal(roomOffline.getChildText("show"), "xa");
  const contactOffline = presenceStanza({ ...base, to: "bob@example.org", inRoom: false, state: "offline" });
  assert.equal(contactOffline.attrs["type"], "unavailable");
  const online = presenceStanza({ ...base, inRoom: true, state: "online" });
  assert.equal(online.getChild("show"), undefined);
  assert.equal(online.getChild("status"), undefined);
  assert.deepEqual(readPresence(online), { state: "online" });
});
