// The media proxy over the wire: a real listener in front of a fake homeserver, requested with plain fetch and no
// token, as a remote user's browser would.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import express from "express";
import { parseMxcUri } from "../../src/ids.ts";
import { MEDIA_PREFIX, MediaLinks } from "../../src/media/media-links.ts";
import { createMediaProxyRouter } from "../../src/media/media-proxy.ts";
import { FakeHomeserver } from "../matrix/fake-homeserver.ts";
import { AS_TOKEN, captureLogs, clientFor } from "../matrix/helpers.ts";

const MXC = parseMxcUri("mxc://example.org:8448/abc123");
const DOWNLOAD = "/_matrix/client/v1/media/download/example.org%3A8448/abc123";
const MAX_BYTES = 100_000;

let hs: FakeHomeserver;
let server: Server;
let base: string;
let signer: MediaLinks | null;
let now = Date.now();

before(async () => {
  const app = express();
  app.use(
    MEDIA_PREFIX,
    createMediaProxyRouter({
      links: () => signer,
      open: (mxc, opts) => clientFor(hs).openMedia(mxc, opts),
      maxBytes: MAX_BYTES,
      logger: captureLogs().logger,
    }),
  );
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(async () => {
  hs = await FakeHomeserver.start();
  now = Date.now();
  signer = new MediaLinks({ key: randomBytes(32), baseUrl: base, lifetimeSeconds: 60, now: () => now });
});
afterEach(() => hs.close());

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

async function errorOf(res: Response): Promise<{ status: number; errcode: unknown }> {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = (await res.json()) as { errcode?: unknown; error?: unknown };
  assert.equal(typeof body.error, "string");
  return { status: res.status, errcode: body.errcode };
}

describe("media proxy", () => {
  it("serves the file from the authenticated media API to a requester without any token", async () => {
    const png = randomBytes(50_000);
    hs.always("GET", DOWNLOAD, {
      raw: png,
      headers: { "content-type": "image/png", "content-length": String(png.byteLength) },
    });
    const res = await fetch(signer!.link(MXC, "cat.png"));
    assert.equal(res.status, 200);
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), sha256(png));
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(res.headers.get("content-length"), "50000");
    assert.equal(
      res.headers.get("content-disposition"),
      `inline; filename="cat.png"; filename*=UTF-8''cat.png`,
    );
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("content-security-policy") ?? "", /^sandbox; default-src 'none'/);
    const [request] = hs.requests;
    assert.equal(request?.path, DOWNLOAD);
    assert.equal(request?.headers.authorization, `Bearer ${AS_TOKEN}`);
  });

  it("answers HEAD with the headers only", async () => {
    hs.always("GET", DOWNLOAD, {
      raw: Buffer.from("hello"),
      headers: { "content-type": "text/plain", "content-length": "5" },
    });
    const res = await fetch(signer!.link(MXC), { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "5");
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it("serves HTML and SVG as bytes to save, never as a page", async () => {
    for (const type of ["text/html; charset=utf-8", "image/svg+xml"]) {
      hs.once("GET", DOWNLOAD, {
        raw: Buffer.from("<script>alert(1)</script>"),
        headers: { "content-type": type },
      });
      const res = await fetch(signer!.link(MXC, "page.html"));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/octet-stream", type);
      assert.match(res.headers.get("content-disposition") ?? "", /^attachment; /);
      await res.arrayBuffer();
    }
  });

  it("refuses an altered or expired link with 403, a malformed one with 404, never asking the homeserver", async () => {
    const link = signer!.link(MXC, "cat.png");
    const signatureAt = link.lastIndexOf("/") - 10;
    const tampered = `${link.slice(0, signatureAt)}${link[signatureAt] === "A" ? "B" : "A"}${link.slice(signatureAt + 1)}`;
    assert.deepEqual(await errorOf(await fetch(tampered)), { status: 403, errcode: "M_FORBIDDEN" });
    assert.deepEqual(await errorOf(await fetch(link.replace("cat.png", "cat.html"))), {
      status: 403,
      errcode: "M_FORBIDDEN",
    });
    assert.deepEqual(await errorOf(await fetch(`${base}${MEDIA_PREFIX}/v1/x`)), {
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    assert.deepEqual(await errorOf(await fetch(`${base}${MEDIA_PREFIX}/v1/%E0%A4%A/a/0/b`)), {
      status: 404,
      errcode: "M_NOT_FOUND",
    });
    now += 61_000;
    assert.deepEqual(await errorOf(await fetch(link)), { status: 403, errcode: "M_FORBIDDEN" });
    assert.equal(hs.requests.length, 0);
  });

  it("answers 404 when the homeserver has no such file, 502 when it fails", async () => {
    hs.always("GET", DOWNLOAD, { status: 404, json: { errcode: "M_NOT_FOUND", error: "Not found" } });
    assert.deepEqual(await errorOf(await fetch(signer!.link(MXC))), { status: 404, errcode: "M_NOT_FOUND" });
    hs.always("GET", /download/, { status: 403, json: { errcode: "M_FORBIDDEN", error: "no" } });
    const other = parseMxcUri("mxc://example.org/other");
    assert.deepEqual(await errorOf(await fetch(signer!.link(other))), { status: 502, errcode: "M_UNKNOWN" });
  });

  it("refuses a file announced larger than the cap with 413, and cuts off one that turns out larger", async () => {
    hs.once("GET", DOWNLOAD, {
      raw: new Uint8Array(MAX_BYTES + 1),
      headers: { "content-length": String(MAX_BYTES + 1) },
    });
    assert.deepEqual(await errorOf(await fetch(signer!.link(MXC))), { status: 413, errcode: "M_TOO_LARGE" });
    const chunk = new Uint8Array(16 * 1024);
    hs.once("GET", DOWNLOAD, { chunks: Array.from({ length: 10 }, () => chunk) });
    const res = await fetch(signer!.link(MXC));
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer(), "the transfer breaks off instead of ending as a short file");
  });

  it("takes only GET and HEAD, and says it is starting before the store is open", async () => {
    const link = signer!.link(MXC);
    const post = await fetch(link, { method: "POST", body: "x" });
    assert.deepEqual(await errorOf(post), { status: 405, errcode: "M_UNRECOGNIZED" });
    signer = null;
    assert.deepEqual(await errorOf(await fetch(link)), { status: 503, errcode: "M_UNKNOWN" });
  });
});
