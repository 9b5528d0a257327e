import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PasswordVault } from "../src/password-vault.ts";

describe("PasswordVault", () => {
  const dir = mkdtempSync(join(tmpdir(), "irc-vault-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("makes a key readable by its owner only when there is none, and uses it from then on", () => {
    const keyFile = join(dir, "keys", "irc-passwords.key");
    const vault = PasswordVault.open(keyFile);
    assert.equal(vault.created, true);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64").length, 32);
    const sealed = vault.seal("hunter2-password", "@alice:example.org");
    const again = PasswordVault.open(keyFile);
    assert.equal(again.created, false);
    assert.equal(again.tooOpen, false);
    assert.equal(again.open(sealed, "@alice:example.org"), "hunter2-password");
  });

  it("keeps nothing of the password readable, and never seals the same way twice", () => {
    const vault = PasswordVault.open(join(dir, "a.key"));
    const first = vault.seal("hunter2-password", "@alice:example.org");
    const second = vault.seal("hunter2-password", "@alice:example.org");
    assert.notEqual(first.data, second.data);
    assert.notEqual(first.iv, second.iv);
    assert.ok(!JSON.stringify(first).includes("hunter2"));
  });

  it("refuses a record of another user, a tampered one, a cut tag, or one sealed with another key", () => {
    const vault = PasswordVault.open(join(dir, "b.key"));
    const sealed = vault.seal("hunter2-password", "@alice:example.org");
    assert.equal(vault.open(sealed, "@mallory:example.org"), null);
    const data = Buffer.from(sealed.data, "base64");
    data[0] = data[0]! ^ 1;
    assert.equal(vault.open({ ...sealed, data: data.toString("base64") }, "@alice:example.org"), null);
    const tag = Buffer.from(sealed.tag, "base64").subarray(0, 4).toString("base64");
    assert.equal(vault.open({ ...sealed, tag }, "@alice:example.org"), null);
    assert.equal(PasswordVault.open(join(dir, "c.key")).open(sealed, "@alice:example.org"), null);
  });

  it("refuses a key file that holds no key, and says when one is readable by others", () => {
    const bad = join(dir, "bad.key");
    writeFileSync(bad, "not a key\n");
    assert.throws(() => PasswordVault.open(bad), /does not hold a key/);
    const open = join(dir, "open.key");
    writeFileSync(open, `${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o644 });
    assert.equal(PasswordVault.open(open).tooOpen, true);
  });
});
