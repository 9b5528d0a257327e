import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { fetchRemoteMedia } from "../../src/media/remote-media.ts";
import { dialed, fakeDns, fetchVia, PUBLIC, PUBLIC_V6, refused, server, text } from "./fetch-harness.ts";
import { LocalServer, TLS_CERT } from "./local-server.ts";

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
