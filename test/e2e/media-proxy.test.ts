// The bridge's media proxy against a real Synapse (authenticated media on, as by default) and a real InspIRCd, with a
// real IRC client: files and long messages from Matrix reach IRC as links to the bridge (`media.public_url`), and
// the IRC user opens them with a plain HTTP request — no Matrix account, no token — and gets exactly the bytes sent.
// Links that were altered, point at nothing, carry too much or have expired are refused. IRC suites run the link
// fallback without public_url (irc-bridge.test.ts), the XMPP ones the same for servers without uploads
// (xmpp-bridge.test.ts).

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseMxcUri, type RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { freePort } from "../harness/free-port.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

/** Short, so the suite can watch a link expire; long enough for each link to be opened before. */
const LIFETIME_SECONDS = 20;
const MAX_BYTES = 300_000;
const LINK = /https?:\/\/\S+/;

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("Media links through the bridge, with InspIRCd and Synapse", () => {
  const runDir = useRunDir("media-proxy");
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let carol: IrcTestClient;
  let room: RoomId;
  let publicUrl: string;
  const puppetNick = "alice[m]";
  let fileLink = "";

  before(async () => {
    const server = await InspircdServer.create({ runDir: runDir.path });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join("#media");
    const bridgePort = await freePort();
    // Another spelling of the listener than the registration's 127.0.0.1, so the links show which one they use.
    publicUrl = `http://localhost:${bridgePort}`;
    stack = await startIrcBridgeStack({
      runDir: runDir.path,
      server,
      bridgePort,
      extraConfig: {
        media: { public_url: `${publicUrl}/`, link_lifetime_seconds: LIFETIME_SECONDS, max_bytes: MAX_BYTES },
      },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    room = await alice.join(`#irc_#media:${stack.synapse.serverName}`);
    await alice.sendText(room, "hi");
    await carol.waitFor((e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "hi");
  });

  async function upload(data: Uint8Array, filename: string, contentType: string): Promise<string> {
    const res = await fetch(
      `${stack.synapse.url}/_matrix/media/v3/upload?filename=${encodeURIComponent(filename)}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": contentType },
        body: data,
      },
    );
    assert.equal(res.status, 200);
    return ((await res.json()) as { content_uri: string }).content_uri;
  }

  /** Sends a file from Matrix and returns the link IRC got for it. */
  async function sendFile(data: Uint8Array, filename: string, contentType: string): Promise<string> {
    const mxc = await upload(data, filename, contentType);
    await alice.sendMessage(room, {
      msgtype: contentType.startsWith("image/") ? "m.image" : "m.file",
      body: filename,
      url: mxc,
      info: { mimetype: contentType, size: data.byteLength },
    });
    const said = await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && String(e.message).startsWith(`${filename}: `),
      10_000,
      { description: `the link to ${filename}` },
    );
    const link = LINK.exec(String(said.message))?.[0];
    assert.ok(link, said.message);
    return link;
  }

  async function errorOf(res: Response): Promise<{ status: number; errcode: unknown; error: unknown }> {
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await res.json()) as { errcode?: unknown; error?: unknown };
    return { status: res.status, errcode: body.errcode, error: body.error };
  }

  test("a Matrix file reaches IRC as a link that opens without a Matrix account, byte for byte", async () => {
    const png = randomBytes(200_000);
    fileLink = await sendFile(png, "holiday photo.png", "image/png");
    assert.ok(fileLink.startsWith(`${publicUrl}/_media/v1/`), fileLink);
    assert.ok(!fileLink.includes("/_matrix/"), "not the homeserver's download path");

    const res = await fetch(fileLink);
    assert.equal(res.status, 200);
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), sha256(png));
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.equal(
      res.headers.get("content-disposition"),
      `inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`,
    );
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("content-security-policy") ?? "", /^sandbox; default-src 'none'/);

    const head = await fetch(fileLink, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(png.byteLength));

    // What the link replaces: the homeserver's own download path answers nobody without a token.
    const [server, id] = (await upload(png, "x.png", "image/png")).slice("mxc://".length).split("/");
    const legacy = await fetch(`${stack.synapse.url}/_matrix/media/v3/download/${server}/${id}`);
    assert.equal(legacy.status, 404, "Synapse serves media to Matrix users only (authenticated media)");
    await legacy.body?.cancel();
  });

  test("a long multi-line message reaches IRC as a link to its whole text, which opens without a token", async () => {
    const text = Array.from({ length: 12 }, (_, i) => `line ${i + 1}: ünïcødé ✓ <b>not html</b>`).join("\n");
    await alice.sendText(room, text);
    const said = await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && String(e.message).includes("full message:"),
    );
    const link = /full message: (\S+)\)/.exec(String(said.message))?.[1];
    assert.ok(link, said.message);
    assert.ok(link.startsWith(`${publicUrl}/_media/v1/`), link);
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), sha256(new TextEncoder().encode(text)));
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  });

  test("an HTML file is served as a download, never as a page on the bridge's origin", async () => {
    const html = new TextEncoder().encode("<script>alert(document.cookie)</script>");
    const link = await sendFile(html, "page.html", "text/html");
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    assert.match(res.headers.get("content-disposition") ?? "", /^attachment; filename="page\.html"/);
    assert.equal(sha256(new Uint8Array(await res.arrayBuffer())), sha256(html));
  });

  test("a link with one character of its signature changed, or pointed at another file, is refused with 403", async () => {
    const segments = new URL(fileLink).pathname.split("/");
    const signature = segments[6] ?? "";
    assert.equal(signature.length, 43);
    const changed = `${signature.slice(0, 20)}${signature[20] === "x" ? "y" : "x"}${signature.slice(21)}`;
    const tampered = fileLink.replace(signature, changed);
    assert.notEqual(tampered, fileLink);
    const refused = await errorOf(await fetch(tampered));
    assert.deepEqual([refused.status, refused.errcode], [403, "M_FORBIDDEN"]);

    const otherFile = fileLink.replace(
      `/${segments[4]}/`,
      `/${segments[4]?.replace(/.$/, (c) => (c === "a" ? "b" : "a"))}/`,
    );
    assert.notEqual(otherFile, fileLink);
    const other = await errorOf(await fetch(otherFile));
    assert.deepEqual([other.status, other.errcode], [403, "M_FORBIDDEN"]);
  });

  test("a valid link to a file the homeserver does not have gets 404; a malformed one too", async () => {
    const missing = stack.bridge.mediaLink(parseMxcUri(`mxc://${stack.synapse.serverName}/NoSuchMediaHere`));
    const res = await errorOf(await fetch(missing));
    assert.deepEqual([res.status, res.errcode], [404, "M_NOT_FOUND"]);
    const malformed = await errorOf(await fetch(`${publicUrl}/_media/v1/nothing`));
    assert.deepEqual([malformed.status, malformed.errcode], [404, "M_NOT_FOUND"]);
  });

  test("a file larger than media.max_bytes is refused with 413", async () => {
    const link = await sendFile(randomBytes(MAX_BYTES + 1), "big.bin", "application/octet-stream");
    const res = await errorOf(await fetch(link));
    assert.deepEqual([res.status, res.errcode], [413, "M_TOO_LARGE"]);
  });

  test("a link stops working after media.link_lifetime_seconds", async () => {
    const expires = Number(new URL(fileLink).pathname.split("/")[5]);
    // Made with the link, rounded up to a whole second.
    assert.ok(expires <= Math.ceil(Date.now() / 1000) + LIFETIME_SECONDS, String(expires));
    await sleep(Math.max(0, expires * 1000 - Date.now() + 1_000));
    const res = await errorOf(await fetch(fileLink));
    assert.deepEqual([res.status, res.errcode], [403, "M_FORBIDDEN"]);
    assert.match(String(res.error), /expired/);
  });
});
