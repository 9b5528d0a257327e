import assert from "node:assert/strict";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import { maxFileSize, readSlot } from "../src/http-upload.ts";
import { uploadSlotRequest } from "../src/outgoing-stanzas.ts";

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el: Element) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

const form = (type: string, max: string) =>
  `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>${type}</value></field><field var="max-file-size"><value>${max}</value></field></x>`;

test("the service's size limit is read from its upload form only", () => {
  const info = (x: string) => parse(`<query xmlns="http://jabber.org/protocol/disco#info">${x}</query>`);
  assert.equal(maxFileSize(info(form("urn:xmpp:http:upload:0", "5242880"))), 5242880);
  assert.equal(maxFileSize(info(form("urn:example:other", "10"))), undefined);
  assert.equal(maxFileSize(info(form("urn:xmpp:http:upload:0", "lots"))), undefined);
  assert.equal(maxFileSize(info("")), undefined);
});

test("a slot gives its links and only the headers XEP-0363 allows, without line breaks", () => {
  const slot = readSlot(
    parse(
      `<iq type="result"><slot xmlns="urn:xmpp:http:upload:0"><put url="https://up.example.org/a/b"><header name="Authorization">Basic x&#10;Evil: 1</header><header name="Host">evil</header></put><get url="https://up.example.org/a/b"/></slot></iq>`,
    ),
  );
  assert.deepEqual(slot, {
    put: "https://up.example.org/a/b",
    get: "https://up.example.org/a/b",
    headers: { Authorization: "Basic xEvil: 1" },
  });
  const notHttp = `<iq type="result"><slot xmlns="urn:xmpp:http:upload:0"><put url="file:///etc/passwd"/><get url="https://x.org/a"/></slot></iq>`;
  assert.equal(readSlot(parse(notHttp)), null);
  assert.equal(readSlot(parse(`<iq type="result"/>`)), null);
});

test("a slot request carries any file name safely", () => {
  const request = uploadSlotRequest({
    from: "matrix.example.org/bridge",
    to: "upload.example.org",
    id: "1",
    filename: '"/><evil/>\u0000.png',
    size: 12,
    contentType: "image/png",
  });
  const parsed = parse(request.toString()).getChild("request", "urn:xmpp:http:upload:0");
  assert.equal(parsed?.attrs["filename"], '"/><evil/>.png');
  assert.equal(parsed?.attrs["size"], "12");
  assert.equal(parse(request.toString()).getChildren("evil").length, 0);
});
