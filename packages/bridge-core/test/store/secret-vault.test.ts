import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { defaultKeyFile, SecretKeyFileError, SecretVault } from "../../src/store/secret-vault.ts";

const ALICE = "@alice:example.org";

describe("SecretVault", () => {
  const dir = mkdtempSync(join(tmpdir(), "secret-vault-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("makes a key readable by its owner only when there is none, and uses it from then on", () => {
    const keyFile = join(dir, "keys", "bridge.secrets.key");
    const vault = SecretVault.open(keyFile);
    assert.equal(vault.created, true);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64").length, 32);
    const sealed = vault.seal(ALICE, "hunter2-password");
    const again = SecretVault.open(keyFile);
    assert.equal(again.created, false);
    assert.equal(again.open(ALICE, sealed), "hunter2-password");
  });

  it("keeps a key beside the store's folder by default, not in it", () => {
    assert.equal(defaultKeyFile("/var/lib/bridge/store"), "/var/lib/bridge/store.secrets.key");
    assert.equal(defaultKeyFile("/var/lib/bridge/store/"), "/var/lib/bridge/store.secrets.key");
  });

  it("does not make a key when told not to", () => {
    assert.equal(SecretVault.open(join(dir, "absent.key"), { create: false }), null);
  });

  it("keeps every character: spaces, quotes, backslashes, non-ASCII, the empty string", () => {
    const vault = SecretVault.open(join(dir, "chars.key"));
    for (const text of ["  two  spaces  ", 'q"uo\\te', "pässwörd 🔑", "\t\n", ""]) {
      assert.equal(vault.open(ALICE, vault.seal(ALICE, text)), text, JSON.stringify(text));
    }
  });

  it("keeps nothing of the plaintext readable, and never seals the same way twice", () => {
    const vault = SecretVault.open(join(dir, "a.key"));
    const first = vault.seal(ALICE, "hunter2-password");
    const second = vault.seal(ALICE, "hunter2-password");
    assert.notEqual(first.data, second.data);
    assert.notEqual(first.iv, second.iv);
    assert.ok(!JSON.stringify(first).includes("hunter2"));
  });

  it("refuses a record of another user, a tampered one, a cut tag, another key's, or no record at all", () => {
    const vault = SecretVault.open(join(dir, "b.key"));
    const sealed = vault.seal(ALICE, "hunter2-password");
    assert.equal(vault.open("@mallory:example.org", sealed), null);
    const data = Buffer.from(sealed.data, "base64");
    data[0] = data[0]! ^ 1;
    assert.equal(vault.open(ALICE, { ...sealed, data: data.toString("base64") }), null);
    const tag = Buffer.from(sealed.tag, "base64").subarray(0, 4).toString("base64");
    assert.equal(vault.open(ALICE, { ...sealed, tag }), null);
    assert.equal(SecretVault.open(join(dir, "c.key")).open(ALICE, sealed), null);
    for (const junk of [null, "hunter2-password", { v: 2 }, { ...sealed, v: 2 }]) {
      assert.equal(vault.open(ALICE, junk), null);
    }
  });

  it("opens records the IRC plugin's password vault sealed (same format: AES-256-GCM, owner as AAD)", () => {
    const keyFile = join(dir, "irc-passwords.key");
    const key = randomBytes(32);
    writeFileSync(keyFile, `${key.toString("base64")}\n`, { mode: 0o600 });
    // As packages/bridge-irc/src/password-vault.ts wrote them.
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(ALICE, "utf8"));
    const data = Buffer.concat([cipher.update("old irc password", "utf8"), cipher.final()]);
    const old = {
      v: 1,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
    assert.equal(SecretVault.open(keyFile).open(ALICE, old), "old irc password");
  });

  it("refuses a key file that holds no key, or that others can read or write", () => {
    const bad = join(dir, "bad.key");
    writeFileSync(bad, "not a key\n", { mode: 0o600 });
    assert.throws(() => SecretVault.open(bad), /does not hold a key/);
    const open = join(dir, "open.key");
    writeFileSync(open, `${Buffer.alloc(32, 7).toString("base64")}\n`);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      chmodSync(open, mode);
      assert.throws(
        () => SecretVault.open(open),
        (err) => err instanceof SecretKeyFileError && /other users; chmod 600/.test(err.message),
        mode.toString(8),
      );
    }
    chmodSync(open, 0o400);
    assert.ok(SecretVault.open(open));
  });
});
