import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { parseMxcUri } from "../../src/ids.ts";
import { MEDIA_PREFIX, MediaLinks } from "../../src/media/media-links.ts";

const KEY = randomBytes(32);
const BASE = "https://bridge.example.org/prefix";
const MXC = parseMxcUri("mxc://example.org:8448/AbCdEf_123-x");
const NOW = Date.UTC(2030, 0, 1);

function links(options: { key?: Uint8Array; lifetimeSeconds?: number; now?: () => number } = {}) {
  return new MediaLinks({
    key: options.key ?? KEY,
    baseUrl: `${BASE}/`,
    lifetimeSeconds: options.lifetimeSeconds ?? 3600,
    now: options.now ?? (() => NOW),
  });
}

/** The path the proxy sees for a link: what follows the base URL and MEDIA_PREFIX. */
function pathOf(link: string): string {
  assert.ok(link.startsWith(`${BASE}${MEDIA_PREFIX}/`), link);
  return link.slice(BASE.length + MEDIA_PREFIX.length);
}

/** `link` with segment `index` (0 = "v1") of its path replaced. */
function withSegment(link: string, index: number, value: string): string {
  const segments = pathOf(link).slice(1).split("/");
  segments[index] = value;
  return `/${segments.join("/")}`;
}

describe("media links: signing and checking", () => {
  it("a link names the file, its expiry and name, and checks back to exactly them", () => {
    const signer = links();
    const link = signer.link(MXC, "holiday photo (1).png");
    const segments = pathOf(link).slice(1).split("/");
    assert.equal(segments[0], "v1");
    assert.equal(decodeURIComponent(segments[1] ?? ""), "example.org:8448");
    assert.equal(segments[2], "AbCdEf_123-x");
    assert.equal(segments[3], String(NOW / 1000 + 3600));
    assert.equal(segments[4]?.length, 43, "a whole HMAC-SHA256, base64url");
    assert.equal(segments[5], "holiday%20photo%20%281%29.png", "no ( ) for link detectors to cut at");
    assert.deepEqual(signer.check(pathOf(link)), {
      ok: true,
      mxc: MXC,
      expires: NOW / 1000 + 3600,
      filename: "holiday photo (1).png",
    });
  });

  it("works without a file name, and with names in any script", () => {
    const signer = links();
    assert.deepEqual(signer.check(pathOf(signer.link(MXC))), {
      ok: true,
      mxc: MXC,
      expires: NOW / 1000 + 3600,
    });
    const named = signer.check(pathOf(signer.link(MXC, "отчёт 📄.pdf")));
    assert.ok(named.ok && named.filename === "отчёт 📄.pdf");
  });

  it("signs the cleaned name: directories, control and bidi characters never reach a link", () => {
    const checked = links().check(pathOf(links().link(MXC, "../../etc/\u202epasswd\r\n")));
    assert.ok(checked.ok);
    assert.equal(checked.filename, "passwd");
  });

  it("refuses a link whose signature, file, expiry or name was changed", () => {
    const signer = links();
    const link = signer.link(MXC, "a.png");
    const signature = pathOf(link).split("/")[5] ?? "";
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    for (const [what, path] of [
      ["one character of the signature", withSegment(link, 4, flipped)],
      ["a shortened signature", withSegment(link, 4, signature.slice(0, 42))],
      ["a signature with padding added", withSegment(link, 4, `${signature}=`)],
      ["another media id", withSegment(link, 2, "AbCdEf_123-y")],
      ["another server", withSegment(link, 1, "evil.example")],
      ["a later expiry", withSegment(link, 3, String(NOW / 1000 + 7200))],
      ["no expiry", withSegment(link, 3, "0")],
      ["another name", withSegment(link, 5, "a.html")],
      ["the name dropped", pathOf(link).slice(0, pathOf(link).lastIndexOf("/"))],
    ] as const)
      assert.deepEqual(signer.check(path), { ok: false, reason: "signature" }, what);
  });

  it("refuses a link signed with another key (another bridge, or a key made up)", () => {
    const link = links({ key: randomBytes(32) }).link(MXC, "a.png");
    assert.deepEqual(links().check(pathOf(link)), { ok: false, reason: "signature" });
  });

  it("refuses a link once it expired, and only then", () => {
    let now = NOW;
    const signer = links({ lifetimeSeconds: 60, now: () => now });
    const path = pathOf(signer.link(MXC));
    now += 59_000;
    assert.equal(signer.check(path).ok, true);
    now += 1_000;
    assert.deepEqual(signer.check(path), { ok: false, reason: "expired" });
  });

  it("a lifetime of 0 makes links that never expire", () => {
    let now = NOW;
    const signer = links({ lifetimeSeconds: 0, now: () => now });
    const path = pathOf(signer.link(MXC));
    assert.equal(path.split("/")[4], "0");
    now += 100 * 365 * 24 * 3600 * 1000;
    assert.equal(signer.check(path).ok, true);
  });

  it("calls anything that is not a link of its shape malformed", () => {
    const signer = links();
    const good = pathOf(signer.link(MXC, "a.png"));
    for (const path of [
      "",
      "/",
      "/v1",
      "/v2" + good.slice(3),
      good.replace("/v1/", "/v1/x/"),
      `${good}/extra`,
      withSegment(signer.link(MXC), 1, "bad%ZZ"),
      withSegment(signer.link(MXC), 2, "not a media id"),
      withSegment(signer.link(MXC), 1, "ser ver"),
      withSegment(signer.link(MXC), 3, "-5"),
      withSegment(signer.link(MXC), 3, "01"),
      withSegment(signer.link(MXC), 3, "1e9"),
    ])
      assert.deepEqual(signer.check(path), { ok: false, reason: "malformed" }, path);
  });

  it("refuses a key shorter than 32 bytes", () => {
    assert.throws(() => links({ key: randomBytes(16) }), /at least 32 bytes/);
  });
});
