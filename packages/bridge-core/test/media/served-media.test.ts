import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { contentDisposition, safeFilename, servedType } from "../../src/media/served-media.ts";

describe("served media: type policy", () => {
  it("keeps inert types, which open inline", () => {
    for (const type of [
      "image/png",
      "image/jpeg",
      "image/gif",
      "image/webp",
      "audio/ogg",
      "video/mp4",
      "application/pdf",
    ])
      assert.deepEqual(servedType(type), { contentType: type, inline: true }, type);
    assert.deepEqual(servedType(" Image/PNG ; foo=bar"), { contentType: "image/png", inline: true });
  });

  it("keeps a plain charset on text/plain, drops anything else in its parameters", () => {
    assert.deepEqual(servedType("text/plain; charset=utf-8"), {
      contentType: "text/plain; charset=utf-8",
      inline: true,
    });
    assert.deepEqual(servedType('text/plain; charset="UTF-8"'), {
      contentType: "text/plain; charset=UTF-8",
      inline: true,
    });
    assert.deepEqual(servedType("text/plain; charset=utf-8\r\nx: y"), {
      contentType: "text/plain",
      inline: true,
    });
    assert.deepEqual(servedType("text/plain; charset=<script>"), { contentType: "text/plain", inline: true });
  });

  it("serves anything active or unknown as bytes to save", () => {
    for (const type of [
      "text/html",
      "text/html; charset=utf-8",
      "image/svg+xml",
      "application/xhtml+xml",
      "text/xml",
      "application/xml",
      "text/javascript",
      "application/javascript",
      "text/css",
      "application/x-shockwave-flash",
      "multipart/x-mixed-replace; boundary=x",
      "application/octet-stream",
      "image/png,text/html",
      "",
      null,
      undefined,
    ])
      assert.deepEqual(
        servedType(type),
        { contentType: "application/octet-stream", inline: false },
        String(type),
      );
  });
});

describe("served media: Content-Disposition", () => {
  it("is inline or attachment, with an ASCII name and the exact one (RFC 6266)", () => {
    assert.equal(contentDisposition(true, "cat.png"), `inline; filename="cat.png"; filename*=UTF-8''cat.png`);
    assert.equal(
      contentDisposition(false, "naïve résumé (v2).doc"),
      `attachment; filename="na_ve r_sum_ (v2).doc"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9%20%28v2%29.doc`,
    );
  });

  it("cannot be broken out of: quotes, backslashes, line breaks and separators are neutralised", () => {
    const header = contentDisposition(false, 'a"; filename="evil.html\r\nSet-Cookie: x=1%.txt');
    assert.ok(!/[\r\n]/.test(header), header);
    const ascii = /filename="([^"]*)"/.exec(header)?.[1];
    assert.equal(ascii, "a_; filename=_evil.htmlSet-Cookie: x=1_.txt");
    assert.equal(
      contentDisposition(false, "up\\..\\x.txt"),
      `attachment; filename="x.txt"; filename*=UTF-8''x.txt`,
    );
    assert.equal(header.match(/"/g)?.length, 2, "only the two quotes around the name");
    const extended = /filename\*=UTF-8''(.*)$/.exec(header)?.[1] ?? "";
    assert.match(extended, /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/, "only RFC 8187 attr-chars and escapes");
  });

  it("has no name when none is left", () => {
    assert.equal(contentDisposition(true, undefined), "inline");
    assert.equal(contentDisposition(false, ".."), "attachment");
    assert.equal(contentDisposition(false, "dir/"), "attachment");
  });
});

describe("served media: file names", () => {
  it("keeps the base name only, without control or bidi characters, at most 200 characters", () => {
    assert.equal(safeFilename("C:\\Users\\x\\report.pdf"), "report.pdf");
    assert.equal(safeFilename("/etc/passwd"), "passwd");
    assert.equal(safeFilename("photo\u202egnp.exe"), "photognp.exe");
    assert.equal(safeFilename("  a\u0000b\u0085c  "), "abc");
    assert.equal(Array.from(safeFilename("😀".repeat(300)) ?? "").length, 200);
    assert.equal(safeFilename(""), undefined);
    assert.equal(safeFilename("."), undefined);
  });
});
