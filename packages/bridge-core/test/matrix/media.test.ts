import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseMxcUri, parseUserId } from "../../src/ids.ts";
import { MediaTooLargeError } from "../../src/matrix/errors.ts";
import { FakeHomeserver } from "./fake-homeserver.ts";
import { clientFor } from "./helpers.ts";

const UPLOAD = "/_matrix/media/v3/upload";
const DOWNLOAD = "/_matrix/client/v1/media/download/example.org%3A8448/abc123";
const MXC = parseMxcUri("mxc://example.org:8448/abc123");

let hs: FakeHomeserver;
beforeEach(async () => {
  hs = await FakeHomeserver.start();
});
afterEach(() => hs.close());

describe("media upload", () => {
  it("posts the bytes with their content type and returns the mxc uri", async () => {
    hs.always("POST", UPLOAD, { json: { content_uri: "mxc://example.org/uploaded" } });
    const ghost = parseUserId("@remote_bob:example.org");
    const data = new Uint8Array([1, 2, 3, 250]);

    const mxc = await clientFor(hs).uploadMedia(data, {
      contentType: "image/png",
      filename: "a b.png",
      asUser: ghost,
    });

    assert.equal(mxc, "mxc://example.org/uploaded");
    const [req] = hs.requests;
    assert.equal(req?.headers["content-type"], "image/png");
    assert.equal(req?.query.get("filename"), "a b.png");
    assert.equal(req?.query.get("user_id"), ghost);
    assert.deepEqual(new Uint8Array(req?.body ?? []), data);
  });

  it("rejects a response without a valid content_uri", async () => {
    hs.always("POST", UPLOAD, { json: { content_uri: "https://not-mxc" } });
    await assert.rejects(clientFor(hs).uploadMedia(new Uint8Array([1]), { contentType: "text/plain" }));
  });
});

describe("media download", () => {
  it("fetches through authenticated media and returns bytes and content type", async () => {
    hs.always("GET", DOWNLOAD, { raw: Buffer.from("hello"), headers: { "content-type": "text/plain" } });
    const media = await clientFor(hs).downloadMedia(MXC);
    assert.equal(Buffer.from(media.data).toString(), "hello");
    assert.equal(media.contentType, "text/plain");
    assert.ok(hs.requests[0]?.headers.authorization?.startsWith("Bearer "));
  });

  it("refuses a body whose declared length exceeds maxBytes", async () => {
    hs.always("GET", DOWNLOAD, { raw: new Uint8Array(2048) });
    await assert.rejects(clientFor(hs).downloadMedia(MXC, { maxBytes: 1024 }), MediaTooLargeError);
  });

  it("stops reading a body of unknown length once it passes maxBytes", async () => {
    const chunk = new Uint8Array(64 * 1024);
    hs.always("GET", DOWNLOAD, { chunks: Array.from({ length: 64 }, () => chunk) });
    const err = await clientFor(hs)
      .downloadMedia(MXC, { maxBytes: 100_000 })
      .catch((e: unknown) => e);
    assert.ok(err instanceof MediaTooLargeError);
    assert.equal(err.maxBytes, 100_000);
  });

  it("accepts a body of unknown length within maxBytes", async () => {
    hs.always("GET", DOWNLOAD, { chunks: [new Uint8Array(10), new Uint8Array(20)] });
    const media = await clientFor(hs).downloadMedia(MXC, { maxBytes: 30 });
    assert.equal(media.data.byteLength, 30);
    assert.equal(media.contentType, "application/octet-stream");
  });
});
