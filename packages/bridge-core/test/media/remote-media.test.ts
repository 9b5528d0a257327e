import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import {
  fetchRemoteMedia,
  fetchRemoteMediaRouted,
  isPublicAddress,
  type RemoteMedia,
  RemoteMediaError,
  type RemoteMediaFailure,
  type RemoteMediaOptions,
  type ResolvedAddress,
} from "../../src/media/remote-media.ts";
import { LocalServer, TLS_CERT } from "./local-server.ts";

// Public-looking addresses the fake resolver hands out. Nothing ever connects to them: fetches that get past the
// checks go through `route` below, which sends every connection to the local server instead.
const PUBLIC = "93.184.216.34";
const PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c";
const LOOPBACK: ResolvedAddress = { address: "127.0.0.1", family: 4 };

let server: LocalServer;
/** The checked addresses that fetches connected to (by way of the local server). */
let dialed: string[];

beforeEach(async () => {
  server = await LocalServer.start();
  dialed = [];
});
afterEach(() => server.close());

/** A resolver from a table; a function entry sees how often the name was asked before (for rebinding). */
function fakeDns(table: Record<string, string[] | ((asked: number) => string[])>) {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<ResolvedAddress[]> => {
    const asked = calls.filter((name) => name === host).length;
    calls.push(host);
    const entry = table[host];
    if (entry === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    const answers = typeof entry === "function" ? entry(asked) : entry;
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { lookup, calls };
}

/** Fetches as the bridge would, except that whatever address passes the checks is reached on the local server. */
function fetchVia(url: string, options: Partial<RemoteMediaOptions> = {}): Promise<RemoteMedia> {
  return fetchRemoteMediaRouted(url, { maxBytes: 1024 * 1024, timeoutMs: 5000, ...options }, (checked) => {
    dialed.push(checked.address);
    return LOOPBACK;
  });
}

async function refused(promise: Promise<unknown>, reason: RemoteMediaFailure): Promise<RemoteMediaError> {
  const err = await promise.then(
    () => assert.fail(`expected a refusal (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RemoteMediaError, `not a RemoteMediaError: ${String(err)}`);
  assert.equal(err.reason, reason, err.message);
  return err;
}

function text(media: RemoteMedia): string {
  return Buffer.from(media.data).toString();
}

describe("fetchRemoteMedia: a plain fetch", () => {
  it("returns the body, content type and file name", async () => {
    server.on("/files/cat.png", (_req, res) =>
      res.writeHead(200, { "content-type": "image/png" }).end("meow"),
    );
    const dns = fakeDns({ "media.example": [PUBLIC] });

    const media = await fetchVia(`http://media.example:${server.port}/files/cat.png?size=large`, {
      lookup: dns.lookup,
    });

    assert.ok(media.data instanceof Uint8Array);
    assert.equal(text(media), "meow");
    assert.equal(media.contentType, "image/png");
    assert.equal(media.filename, "cat.png");
    assert.deepEqual(dialed, [PUBLIC]);
    assert.deepEqual(server.requests, [
      { path: "/files/cat.png?size=large", host: `media.example:${server.port}` },
    ]);
  });

  it("reaches the local server directly when private addresses are allowed", async () => {
    server.on("/a", (_req, res) => res.end("local"));
    const media = await fetchRemoteMedia(server.url("/a"), { maxBytes: 100, allowPrivateAddresses: true });
    assert.equal(text(media), "local");
    assert.equal(media.contentType, "application/octet-stream");
    assert.equal(media.filename, "a");
  });

  it("takes the file name from Content-Disposition, preferring filename*, and keeps only a base name", async () => {
    const cases: [string, string | undefined][] = [
      [`attachment; filename="report.pdf"`, "report.pdf"],
      [`inline; filename=plain.txt`, "plain.txt"],
      [`attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20file.png`, "naïve file.png"],
      [`attachment; filename*=iso-8859-1'en'caf%E9.txt`, "café.txt"],
      [`attachment; filename="../../etc/passwd"`, "passwd"],
      [`attachment; filename="C:\\\\temp\\\\evil.exe"`, "evil.exe"],
      [`attachment; filename*=UTF-8''a%01b%0A.txt`, "ab.txt"],
      // Nothing usable in the header: the URL's last segment instead.
      [`attachment; filename=".."`, "download"],
    ];
    for (const [disposition, expected] of cases) {
      server.on("/download", (_req, res) =>
        res.writeHead(200, { "content-disposition": disposition }).end("x"),
      );
      const media = await fetchRemoteMedia(server.url("/download"), {
        maxBytes: 10,
        allowPrivateAddresses: true,
      });
      assert.equal(media.filename, expected, disposition);
    }
  });

  it("gives no file name when neither the headers nor the path have one", async () => {
    server.on("/", (_req, res) => res.end("root"));
    const media = await fetchRemoteMedia(server.url("/"), { maxBytes: 10, allowPrivateAddresses: true });
    assert.equal(media.filename, undefined);
    assert.equal("filename" in media, false);
  });
});

describe("fetchRemoteMedia: schemes and URLs", () => {
  for (const url of [
    "file:///etc/passwd",
    "ftp://media.example/file.bin",
    "data:text/plain;base64,aGVsbG8=",
    "javascript:alert(1)",
    "gopher://media.example:70/",
    "ws://media.example/socket",
    "blob:http://media.example/0",
  ]) {
    it(`refuses ${url.slice(0, url.indexOf(":") + 1)} links without resolving anything`, async () => {
      const dns = fakeDns({ "media.example": [PUBLIC] });
      const err = await refused(fetchVia(url, { lookup: dns.lookup }), "scheme");
      assert.equal(err.message, "only http and https links can be fetched");
      assert.deepEqual(dns.calls, []);
      assert.deepEqual(dialed, []);
    });
  }

  it("refuses links with a user name or password", async () => {
    const dns = fakeDns({ "media.example": [PUBLIC] });
    for (const url of [
      "http://user:secret@media.example/a",
      "https://user@media.example/a",
      "http://:pw@media.example/",
    ]) {
      await refused(fetchVia(url, { lookup: dns.lookup }), "url");
    }
    assert.deepEqual(dns.calls, []);
    assert.deepEqual(dialed, []);
  });

  it("refuses what is not a URL", async () => {
    for (const url of [
      "",
      "not a url",
      "http://",
      "//media.example/a",
      "http://[::1/",
      "http://exa mple.com/",
    ]) {
      await refused(fetchVia(url), "url");
    }
    assert.deepEqual(dialed, []);
  });

  it("accepts any port", async () => {
    server.on("/p", (_req, res) => res.end("port"));
    const dns = fakeDns({ "media.example": [PUBLIC] });
    const media = await fetchVia(`http://media.example:${server.port}/p`, { lookup: dns.lookup });
    assert.equal(text(media), "port");
    assert.notEqual(server.port, 80);
  });
});

describe("fetchRemoteMedia: literal addresses", () => {
  // Every spelling the WHATWG parser turns into a loopback or otherwise local address, on the local server's port, so
  // that a fetch that wrongly got through would show up in the server's log.
  const spellings = [
    "127.0.0.1",
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "0177.0.0.1",
    "0177.0.0.01",
    "127.1",
    "127.0.1",
    "%31%32%37.0.0.1",
    "１２７.０.０.１",
    "0",
    "0.0.0.0",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::]",
    "[::ffff:7f00:1]",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::FFFF:7F00:0001]",
    "[::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "10.0.0.1",
    "169.254.169.254",
    "[fe80::1]",
    "[fd00::1]",
    "100.64.0.1",
    "255.255.255.255",
    "224.0.0.1",
    "192.0.2.1",
  ];
  for (const host of spellings) {
    it(`refuses http://${host}/ before connecting`, async () => {
      const dns = fakeDns({});
      const err = await refused(
        fetchVia(`http://${host}:${server.port}/secret`, { lookup: dns.lookup }),
        "address",
      );
      assert.match(err.message, /private or reserved network address/);
      assert.deepEqual(dns.calls, [], "a literal address needs no lookup");
      assert.deepEqual(dialed, []);
      assert.deepEqual(server.paths, []);
    });
  }

  it("refuses loopback spellings on the direct path too", async () => {
    for (const host of ["127.0.0.1", "2130706433", "0x7f.1", "[::ffff:7f00:1]", "[::1]"]) {
      await refused(fetchRemoteMedia(`http://${host}:${server.port}/secret`, { maxBytes: 10 }), "address");
    }
    assert.deepEqual(server.paths, []);
  });

  it("connects to a public literal address as written", async () => {
    server.on("/v4", (_req, res) => res.end("four"));
    server.on("/v6", (_req, res) => res.end("six"));
    assert.equal(text(await fetchVia(`http://${PUBLIC}:${server.port}/v4`)), "four");
    assert.equal(text(await fetchVia(`http://[${PUBLIC_V6}]:${server.port}/v6`)), "six");
    assert.deepEqual(dialed, [PUBLIC, PUBLIC_V6]);
    assert.deepEqual(
      server.requests.map((req) => req.host),
      [`${PUBLIC}:${server.port}`, `[${PUBLIC_V6}]:${server.port}`],
    );
  });
});

describe("fetchRemoteMedia: host names", () => {
  it("refuses a public-looking name that resolves to a private address, without naming the address", async () => {
    const cases: Record<string, string[]> = {
      "loopback.example": ["127.0.0.1"],
      "loopback6.example": ["::1"],
      "mapped.example": ["::ffff:127.0.0.1"],
      "private.example": ["10.1.2.3"],
      "home.example": ["192.168.1.1"],
      "metadata.example": ["169.254.169.254"],
      "cgnat.example": ["100.100.100.100"],
      "ula.example": ["fd12:3456:789a::1"],
      "linklocal.example": ["fe80::1%eth0"],
      "mixed.example": [PUBLIC, "10.0.0.1"],
      "mixed6.example": [PUBLIC_V6, "::1"],
    };
    const dns = fakeDns(cases);
    for (const name of Object.keys(cases)) {
      const err = await refused(
        fetchVia(`http://${name}:${server.port}/secret`, { lookup: dns.lookup }),
        "address",
      );
      for (const address of cases[name] ?? []) assert.ok(!err.message.includes(address), err.message);
    }
    assert.deepEqual(
      dialed,
      [],
      "refused before connecting, even where a public address was among the answers",
    );
    assert.deepEqual(server.paths, []);
  });

  it("refuses localhost through the system resolver", async () => {
    await refused(fetchRemoteMedia(`http://localhost:${server.port}/secret`, { maxBytes: 10 }), "address");
    assert.deepEqual(server.paths, []);
  });

  it("connects to the addresses it checked and never asks DNS again (rebinding)", async () => {
    server.on("/img", (_req, res) => res.end("safe"));
    // The attacker's name server answers with a public address first and with loopback once the check is done.
    const dns = fakeDns({ "rebind.example": (asked) => (asked === 0 ? [PUBLIC] : ["127.0.0.1"]) });
    const media = await fetchVia(`http://rebind.example:${server.port}/img`, { lookup: dns.lookup });
    assert.equal(text(media), "safe");
    assert.deepEqual(dns.calls, ["rebind.example"]);
    assert.deepEqual(dialed, [PUBLIC]);
  });

  it("hands the socket the checked address, keeping the name in the Host header", async () => {
    server.on("/img", (_req, res) => res.end("pinned"));
    // Unrouted: the first answer is the local server, and any second lookup would fail the fetch.
    const dns = fakeDns({
      "media.example": (asked) => {
        if (asked > 0) throw new Error("asked twice");
        return ["127.0.0.1"];
      },
    });
    const media = await fetchRemoteMedia(`http://media.example:${server.port}/img`, {
      maxBytes: 100,
      allowPrivateAddresses: true,
      lookup: dns.lookup,
    });
    assert.equal(text(media), "pinned");
    assert.deepEqual(dns.calls, ["media.example"]);
    assert.deepEqual(server.requests, [{ path: "/img", host: `media.example:${server.port}` }]);
  });

  it("reports a name that does not resolve", async () => {
    const dns = fakeDns({ "empty.example": [], "garbage.example": ["not-an-address"] });
    for (const name of ["missing.example", "empty.example", "garbage.example"]) {
      const err = await refused(fetchVia(`http://${name}/`, { lookup: dns.lookup }), "network");
      assert.equal(err.message, "the link's host name could not be resolved");
    }
    assert.deepEqual(dialed, []);
  });

  it("reports a server that refuses the connection", async () => {
    const gone = await LocalServer.start();
    const url = gone.url("/x");
    await gone.close();
    const err = await refused(
      fetchRemoteMedia(url, { maxBytes: 10, allowPrivateAddresses: true }),
      "network",
    );
    assert.ok(err.cause, "keeps the low-level error for the logs");
  });
});

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

describe("fetchRemoteMedia: TLS", () => {
  let tlsServer: LocalServer;
  let defaultCAs: string[];

  before(async () => {
    tlsServer = await LocalServer.start({ tls: true });
    defaultCAs = getCACertificates("default");
    setDefaultCACertificates([...defaultCAs, TLS_CERT]);
  });
  after(async () => {
    setDefaultCACertificates(defaultCAs);
    await tlsServer.close();
  });

  it("sends the name in SNI and checks the certificate against it while connecting to the checked address", async () => {
    tlsServer.on("/secure.txt", (_req, res) =>
      res.writeHead(200, { "content-type": "text/plain" }).end("tls"),
    );
    const dns = fakeDns({ "media.example": ["127.0.0.1"], "other.example": ["127.0.0.1"] });
    const options = { maxBytes: 100, allowPrivateAddresses: true, lookup: dns.lookup };

    const media = await fetchRemoteMedia(`https://media.example:${tlsServer.port}/secure.txt`, options);
    assert.equal(text(media), "tls");
    assert.deepEqual(tlsServer.serverNames, ["media.example"]);
    assert.equal(tlsServer.requests[0]?.host, `media.example:${tlsServer.port}`);

    // Same address, but a name the certificate does not cover.
    await refused(fetchRemoteMedia(`https://other.example:${tlsServer.port}/secure.txt`, options), "network");
    assert.equal(tlsServer.requests.length, 1);
  });
});

describe("isPublicAddress", () => {
  const notPublic = [
    // IPv4
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.0.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    // IPv6
    "::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::FFFF:7F00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:192.168.0.1",
    "::ffff:0.0.0.0",
    "::ffff:0:7f00:1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::1",
    "100::1",
    "2001::1",
    "2001:2::1",
    "2001:db8::1",
    "2002:7f00:1::1",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    "fec0::1",
    "ff02::1",
    "ff05::1:3",
    // not addresses at all
    "",
    "localhost",
    "media.example",
    "2130706433",
    "0x7f.1",
    "[::1]",
  ];
  const publicOnes = [
    "1.1.1.1",
    "8.8.8.8",
    PUBLIC,
    "100.63.255.255",
    "100.128.0.1",
    "172.15.255.255",
    "172.32.0.1",
    "192.167.255.255",
    "192.169.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.254",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    PUBLIC_V6,
  ];

  it("refuses loopback, private, link-local, unspecified, multicast, broadcast, CGNAT and reserved ranges", () => {
    for (const address of notPublic) assert.equal(isPublicAddress(address), false, address);
  });

  it("accepts public unicast, including right next to the refused ranges", () => {
    for (const address of publicOnes) assert.equal(isPublicAddress(address), true, address);
  });
});
