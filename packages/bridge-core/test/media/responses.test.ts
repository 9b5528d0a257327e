import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  fetchRemoteMedia,
  type RemoteMediaFailure,
  type ResolvedAddress,
} from "../../src/media/remote-media.ts";
import { dialed, fakeDns, fetchVia, PUBLIC, PUBLIC_V6, refused, server, text } from "./fetch-harness.ts";

describe("fetchRemoteMedia: redirects", () => {
  it("re-checks every hop and refuses a redirect into the local network", async () => {
    const dns = fakeDns({
      "cdn.example": [PUBLIC],
      "internal.example": ["10.0.0.5"],
      localhost: ["127.0.0.1", "::1"],
    });
    const targets = [
      `http://127.0.0.1:${server.port}/secret`,
      `http://2130706433:${server.port}/secret`,
      `http://[::ffff:7f00:1]:${server.port}/secret`,
      `http://localhost:${server.port}/secret`,
      `http://internal.example:${server.port}/secret`,
    ];
    for (const [i, target] of targets.entries()) {
      server.redirect(`/r${i}`, target);
      await refused(fetchVia(`http://cdn.example:${server.port}/r${i}`, { lookup: dns.lookup }), "address");
    }
    assert.deepEqual(
      server.paths,
      targets.map((_, i) => `/r${i}`),
      "the secret is never requested",
    );
    assert.deepEqual(
      dialed,
      targets.map(() => PUBLIC),
    );
  });

  it("refuses a redirect to another scheme or to a link with credentials", async () => {
    const dns = fakeDns({ "cdn.example": [PUBLIC] });
    const cases: [string, RemoteMediaFailure][] = [
      ["file:///etc/passwd", "scheme"],
      ["ftp://cdn.example/file", "scheme"],
      ["javascript:alert(1)", "scheme"],
      [`http://user:pw@cdn.example:${server.port}/ok`, "url"],
    ];
    for (const [i, [location, reason]] of cases.entries()) {
      server.redirect(`/r${i}`, location);
      await refused(fetchVia(`http://cdn.example:${server.port}/r${i}`, { lookup: dns.lookup }), reason);
    }
    assert.deepEqual(dns.calls.length, cases.length, "one lookup per first hop, none for the refused ones");
  });

  it("follows relative and absolute redirects of every kind, looking the name up again per hop", async () => {
    const dns = fakeDns({ "cdn.example": [PUBLIC], "other.example": [PUBLIC_V6] });
    server.redirect("/a", "/b", 301);
    server.redirect("/b", `http://other.example:${server.port}/c`, 307);
    server.redirect("/c", "d", 308);
    server.on("/d", (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("done"));
    const media = await fetchVia(`http://cdn.example:${server.port}/a`, { lookup: dns.lookup });
    assert.equal(text(media), "done");
    assert.equal(media.filename, "d", "named after the final URL");
    assert.deepEqual(server.paths, ["/a", "/b", "/c", "/d"]);
    assert.deepEqual(dns.calls, ["cdn.example", "cdn.example", "other.example", "other.example"]);
    assert.deepEqual(dialed, [PUBLIC, PUBLIC, PUBLIC_V6, PUBLIC_V6]);
    assert.equal(server.requests[2]?.host, `other.example:${server.port}`);
  });

  it("follows at most maxRedirects (3 by default)", async () => {
    const dns = fakeDns({ "cdn.example": [PUBLIC] });
    for (let i = 4; i > 0; i--) server.redirect(`/r${i}`, `/r${i - 1}`, 303);
    server.on("/r0", (_req, res) => res.end("end"));
    const base = `http://cdn.example:${server.port}`;

    assert.equal(text(await fetchVia(`${base}/r3`, { lookup: dns.lookup })), "end");
    const err = await refused(fetchVia(`${base}/r4`, { lookup: dns.lookup }), "redirects");
    assert.equal(err.message, "the link redirected more than 3 times");
    assert.equal(text(await fetchVia(`${base}/r4`, { lookup: dns.lookup, maxRedirects: 4 })), "end");
    await refused(fetchVia(`${base}/r1`, { lookup: dns.lookup, maxRedirects: 0 }), "redirects");
  });

  it("treats a redirect without a location as a failed status", async () => {
    server.on("/nowhere", (_req, res) => res.writeHead(302).end());
    const err = await refused(
      fetchRemoteMedia(server.url("/nowhere"), { maxBytes: 10, allowPrivateAddresses: true }),
      "status",
    );
    assert.equal(err.status, 302);
  });
});

describe("fetchRemoteMedia: status", () => {
  it("refuses anything but success", async () => {
    server.on("/missing", (_req, res) => res.writeHead(404).end("no"));
    server.on("/broken", (_req, res) => res.writeHead(500).end("no"));
    server.on("/unchanged", (_req, res) => res.writeHead(304).end());
    for (const [path, status] of [
      ["/missing", 404],
      ["/broken", 500],
      ["/unchanged", 304],
    ] as const) {
      const err = await refused(
        fetchRemoteMedia(server.url(path), { maxBytes: 10, allowPrivateAddresses: true }),
        "status",
      );
      assert.equal(err.status, status);
      assert.equal(err.message, `the server answered with HTTP ${status}`);
    }
  });
});

describe("fetchRemoteMedia: size", () => {
  const allow = { allowPrivateAddresses: true };

  it("accepts a body of exactly maxBytes", async () => {
    server.on("/ten", (_req, res) => res.end("0123456789"));
    assert.equal(text(await fetchRemoteMedia(server.url("/ten"), { maxBytes: 10, ...allow })), "0123456789");
  });

  it("refuses a declared Content-Length over the cap without reading the body", async () => {
    let written = false;
    server.on("/big", (_req, res) => {
      res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      res.flushHeaders();
      // The body would follow later; the client must not wait for it.
      setTimeout(() => {
        written = true;
        res.destroy();
      }, 2000).unref();
    });
    const started = Date.now();
    const err = await refused(
      fetchRemoteMedia(server.url("/big"), { maxBytes: 1024, ...allow }),
      "too_large",
    );
    assert.equal(err.message, "the file is larger than the limit of 1 KiB");
    assert.equal(written, false);
    assert.ok(Date.now() - started < 1500);
  });

  it("cuts off a streamed body once it passes the cap", async () => {
    let closed = false;
    server.on("/endless", (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(16 * 1024, 1);
      const timer = setInterval(() => res.write(chunk), 5);
      res.on("close", () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const err = await refused(
      fetchRemoteMedia(server.url("/endless"), { maxBytes: 100_000, ...allow }),
      "too_large",
    );
    assert.equal(err.message, "the file is larger than the limit of 97.7 KiB");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(closed, "the connection was dropped");
  });

  it("reports a body that ends before its declared length as a broken transfer", async () => {
    server.on("/short", (_req, res) => {
      res.writeHead(200, { "content-length": "3" });
      res.end();
    });
    // The server promised 3 bytes and sent none before closing: a broken transfer, not a short file.
    await refused(fetchRemoteMedia(server.url("/short"), { maxBytes: 10, ...allow }), "network");
  });
});

describe("fetchRemoteMedia: timeouts", () => {
  const allow = { allowPrivateAddresses: true };

  it("gives up on a server that never answers", async () => {
    server.on("/silent", () => {});
    const started = Date.now();
    const err = await refused(
      fetchRemoteMedia(server.url("/silent"), { maxBytes: 10, timeoutMs: 200, ...allow }),
      "timeout",
    );
    assert.equal(err.message, "the download did not finish within 0.2 seconds");
    assert.ok(Date.now() - started < 2000);
  });

  it("gives up on a body that trickles in, counting the whole fetch", async () => {
    server.on("/slow", (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write("x"), 50);
      res.on("close", () => clearInterval(timer));
    });
    await refused(
      fetchRemoteMedia(server.url("/slow"), { maxBytes: 1000, timeoutMs: 300, ...allow }),
      "timeout",
    );
  });

  it("gives up on a name lookup that never finishes", async () => {
    const lookup = () => new Promise<ResolvedAddress[]>(() => {});
    await refused(fetchVia("http://slow-dns.example/", { lookup, timeoutMs: 100 }), "timeout");
    assert.deepEqual(dialed, []);
  });

  it("counts redirects against the same deadline", async () => {
    const dns = fakeDns({ "cdn.example": [PUBLIC] });
    server.on("/hop", (_req, res) => setTimeout(() => res.writeHead(302, { location: "/hop2" }).end(), 150));
    server.on("/hop2", (_req, res) => setTimeout(() => res.end("late"), 150));
    await refused(
      fetchVia(`http://cdn.example:${server.port}/hop`, { lookup: dns.lookup, timeoutMs: 250 }),
      "timeout",
    );
  });
});
