import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/load.ts";
import {
  generateRegistration,
  loadRegistration,
  missingEncryptionSettings,
  writeRegistration,
} from "../../src/registration/registration.ts";

const options = {
  id: "testnet",
  url: "http://127.0.0.1:29300",
  senderLocalpart: "testnetbot",
  domain: "example.org",
  ghostTemplates: ["testnet_{id}"],
  aliasTemplates: ["testnet_{id}"],
  protocols: ["testnet"],
};

describe("registration and config for encryption", () => {
  it("asks for MSC3202 and MSC4190 only when encryption is allowed, and keeps them when read back", () => {
    const plain = generateRegistration(options);
    assert.deepEqual(missingEncryptionSettings(plain), [
      "org.matrix.msc3202: true",
      "io.element.msc4190: true",
    ]);
    const dir = mkdtempSync(join(tmpdir(), "bridge-registration-"));
    try {
      const path = join(dir, "registration.yaml");
      writeRegistration(path, generateRegistration({ ...options, encryption: true }));
      const read = loadRegistration(path);
      assert.equal(read["org.matrix.msc3202"], true);
      assert.equal(read["io.element.msc4190"], true);
      assert.deepEqual(missingEncryptionSettings(read), []);
      writeFileSync(
        path,
        stringify({ ...read, receive_ephemeral: false, "de.sorunome.msc2409.push_ephemeral": false }),
      );
      assert.deepEqual(missingEncryptionSettings(loadRegistration(path)), ["receive_ephemeral: true"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses encryption.default or require without allow, naming the key", () => {
    const base = `homeserver:\n  url: http://127.0.0.1:8008\n  domain: example.org\nappservice:\n  id: t\n  port: 1\n  bot_username: b\nstore:\n  path: ./d\nnetwork:\n  module: m\n`;
    assert.throws(
      () => parseConfig(`${base}encryption:\n  default: true\n`, "c.yaml", "/srv"),
      /encryption.*allow/,
    );
    assert.throws(
      () => parseConfig(`${base}encryption:\n  require: true\n`, "c.yaml", "/srv"),
      /encryption.*allow/,
    );
    const allowed = parseConfig(`${base}encryption:\n  allow: true\n  require: true\n`, "c.yaml", "/srv");
    assert.deepEqual(allowed.encryption, { allow: true, default: false, require: true });
  });
});
