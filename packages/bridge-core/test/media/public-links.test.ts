import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseMxcUri } from "../../src/ids.ts";
import { Logger } from "../../src/log.ts";
import { MEDIA_PREFIX } from "../../src/media/media-links.ts";
import { openPublicLinks, type PublicLinksOptions } from "../../src/media/public-links.ts";
import { LevelStore } from "../../src/store/level-store.ts";

const MXC = parseMxcUri("mxc://example.org/abc");
let dir: string;
let store: LevelStore;
let warnings: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "bridge-public-links-"));
  store = await LevelStore.open({ path: join(dir, "db"), sync: false });
  warnings = [];
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(overrides: Partial<PublicLinksOptions> = {}) {
  const logger = Logger.create({
    level: "debug",
    sink: {
      write: (line) => {
        const parsed = JSON.parse(line) as { level: string; msg: string };
        if (parsed.level === "warn") warnings.push(parsed.msg);
      },
    },
  });
  return openPublicLinks({
    store,
    publicUrl: "https://bridge.example.org",
    lifetimeSeconds: 3600,
    listener: { registrationUrl: "http://10.0.0.2:29300", bindAddress: "127.0.0.1", port: 29300 },
    logger,
    ...overrides,
  });
}

const pathOf = (link: string) => new URL(link).pathname.slice(MEDIA_PREFIX.length);

describe("public media links: set-up", () => {
  it("generates the signing key once and keeps it in the store: links survive a restart", async () => {
    const link = (await open()).link(MXC, "a.txt");
    await store.close();
    store = await LevelStore.open({ path: join(dir, "db"), sync: false });
    assert.equal((await open()).check(pathOf(link)).ok, true);
    const raw = await store.bridgeSecret("media-link-key", () => assert.fail("made again"));
    assert.equal(Buffer.from(raw, "base64").byteLength, 32);
    assert.equal(await store.getPluginData("media-link-key"), null, "not where the plugin's records are");
  });

  it("two stores make two different keys", async () => {
    const other = await LevelStore.open({ path: join(dir, "other"), sync: false });
    try {
      const link = (await open()).link(MXC);
      const foreign = await openPublicLinks({
        store: other,
        publicUrl: "https://bridge.example.org",
        lifetimeSeconds: 3600,
        listener: { registrationUrl: null, bindAddress: "127.0.0.1", port: 1 },
        logger: Logger.create({ sink: { write: () => {} } }),
      });
      assert.deepEqual(foreign.check(pathOf(link)), { ok: false, reason: "signature" });
    } finally {
      await other.close();
    }
  });

  it("links start with media.public_url, without a warning", async () => {
    const link = (await open({ publicUrl: "https://example.org/bridge" })).link(MXC);
    assert.ok(link.startsWith("https://example.org/bridge/_media/v1/example.org/abc/"), link);
    assert.deepEqual(warnings, []);
  });

  it("without it, links use the listener's address — never the homeserver's — and the bridge warns once", async () => {
    const viaRegistration = (await open({ publicUrl: undefined })).link(MXC);
    assert.ok(viaRegistration.startsWith("http://10.0.0.2:29300/_media/v1/"), viaRegistration);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /media\.public_url is not set/);
    const listener = { registrationUrl: null, bindAddress: "0.0.0.0", port: 8090 };
    assert.ok(
      (await open({ publicUrl: undefined, listener })).link(MXC).startsWith(`http://${hostname()}:8090/`),
    );
    const v6 = { registrationUrl: null, bindAddress: "::1", port: 8090 };
    assert.ok(
      (await open({ publicUrl: undefined, listener: v6 })).link(MXC).startsWith("http://[::1]:8090/"),
    );
  });
});
