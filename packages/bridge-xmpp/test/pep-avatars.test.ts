import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type Element, Parser } from "@xmpp/xml";
import { announcedAvatar, avatarData } from "../src/pep-avatars.ts";

function parse(xml: string): Element {
  const parser = new Parser();
  let parsed: Element | undefined;
  parser.on("element", (el: Element) => {
    parsed = el;
  });
  parser.write(`<stream>${xml}`);
  return parsed!;
}

const image = Buffer.from("89504e470d0a1a0a0102030405", "hex");
const sha1 = createHash("sha1").update(image).digest("hex");
const items = (inner: string) =>
  parse(
    `<iq type="result"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="n">${inner}</items></pubsub></iq>`,
  );

test("the metadata names the avatar stored in PEP, not one only linked elsewhere", () => {
  const metadata = (infos: string) =>
    items(`<item id="${sha1}"><metadata xmlns="urn:xmpp:avatar:metadata">${infos}</metadata></item>`);
  assert.deepEqual(announcedAvatar(metadata(`<info id="${sha1}" type="image/png" bytes="13"/>`)), {
    id: sha1,
    type: "image/png",
  });
  assert.deepEqual(
    announcedAvatar(
      metadata(
        `<info id="${"a".repeat(40)}" type="image/png" url="https://example.org/a.png"/><info id="${sha1}" type="text/html"/>`,
      ),
    ),
    { id: sha1, type: "image/png" },
    "a linked image is skipped, and a type that is no image is not believed",
  );
  assert.equal(announcedAvatar(metadata("")), null, "an empty metadata item means no avatar");
  assert.equal(announcedAvatar(metadata(`<info id="../../etc" type="image/png"/>`)), null);
});

test("avatar data counts only when its bytes have the announced hash", () => {
  const data = (id: string, b64: string) =>
    items(`<item id="${id}"><data xmlns="urn:xmpp:avatar:data">${b64}</data></item>`);
  assert.deepEqual(avatarData(data(sha1, image.toString("base64")), sha1), new Uint8Array(image));
  assert.equal(avatarData(data(sha1, Buffer.from("other").toString("base64")), sha1), null);
  assert.equal(avatarData(data(sha1, "not base64!"), sha1), null);
  assert.equal(avatarData(data("b".repeat(40), image.toString("base64")), sha1), null);
});
