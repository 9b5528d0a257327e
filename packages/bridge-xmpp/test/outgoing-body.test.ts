import assert from "node:assert/strict";
import { test } from "node:test";
import { type MatrixMessage, type RichText, remoteMessageId, remoteUserId } from "bridge-core";
import { fileBody, outgoingBody } from "../src/outgoing-body.ts";

const puppet: MatrixMessage["as"] = {
  kind: "puppet",
  remoteUserId: remoteUserId("alice@matrix.example.org"),
};
const relay: MatrixMessage["as"] = {
  kind: "relay",
  marks: { displayName: "Alice", before: "<Alice> ", after: "" },
};
const styled: RichText = [
  { type: "bold", children: [{ type: "text", text: "hi" }] },
  { type: "text", text: "\nthere" },
];

test("a puppet's message is its styling, an emote starts with /me", () => {
  assert.equal(outgoingBody({ as: puppet, kind: "text", text: styled }), "*hi*\nthere");
  assert.equal(outgoingBody({ as: puppet, kind: "notice", text: styled }), "*hi*\nthere");
  assert.equal(outgoingBody({ as: puppet, kind: "emote", text: styled }), "/me *hi*\nthere");
});

test("a relayed message has the relay marks on every line; a relayed emote names its sender on every line", () => {
  assert.equal(outgoingBody({ as: relay, kind: "text", text: styled }), "<Alice> *hi*\n<Alice> there");
  assert.equal(outgoingBody({ as: relay, kind: "emote", text: styled }), "* Alice *hi*\n* Alice there");
  const quoted: RichText = [{ type: "quote", children: [{ type: "text", text: "a\nb" }] }];
  assert.equal(outgoingBody({ as: relay, kind: "text", text: quoted }), "<Alice> > a\n<Alice> > b");
});

test("a reply to a message XMPP never got quotes it; one XMPP has is left to XEP-0461", () => {
  const text: RichText = [{ type: "text", text: "yes" }];
  assert.equal(
    outgoingBody({ as: puppet, kind: "text", text, reply: { author: "Bob", text: "really?" } }),
    "> <Bob> really?\nyes",
  );
  assert.equal(
    outgoingBody({ as: relay, kind: "text", text, reply: { author: "Bob", text: "really?" } }),
    "<Alice> > <Bob> really?\n<Alice> yes",
  );
  const to = remoteMessageId("stanza-1");
  assert.equal(
    outgoingBody({ as: puppet, kind: "text", text, reply: { to, author: "Bob", text: "really?" } }),
    "yes",
  );
});

test("a file's body is its link, marked when relayed", () => {
  assert.equal(fileBody("https://up.example.org/a.png", puppet), "https://up.example.org/a.png");
  assert.equal(fileBody("https://up.example.org/a.png", relay), "<Alice> https://up.example.org/a.png");
});
