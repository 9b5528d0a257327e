import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MEDIA_LINK_LIFETIME_SECONDS,
  DEFAULT_MEDIA_MAX_BYTES,
} from "../../src/config/schema.ts";

const MINIMAL = `homeserver:
  url: http://127.0.0.1:8008/
  domain: example.org
appservice:
  id: testnet
  port: 29300
  bot_username: testnetbot
store:
  path: ./data/testnet
network:
  module: bridge-irc
`;

/** The ConfigError thrown for `text`, checking that one was thrown. */
function configError(text: string): ConfigError {
  try {
    parseConfig(text, "config.yaml", "/srv/bridge");
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("the config was accepted");
}

/** `MINIMAL` with line `n` (1-based) replaced by `lines`. */
function withLine(n: number, ...lines: string[]): string {
  const all = MINIMAL.split("\n");
  all.splice(n - 1, 1, ...lines);
  return all.join("\n");
}

describe("parseConfig", () => {
  it("fills in defaults and converts to camelCase", () => {
    const config = parseConfig(MINIMAL, "config.yaml", "/srv/bridge");
    assert.deepEqual(config, {
      homeserver: { url: "http://127.0.0.1:8008", domain: "example.org" },
      appservice: {
        id: "testnet",
        bindAddress: "127.0.0.1",
        port: 29300,
        botUsername: "testnetbot",
        maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      },
      store: {
        type: "leveldb",
        path: "/srv/bridge/data/testnet",
        sync: true,
        keyFile: "/srv/bridge/data/testnet.secrets.key",
      },
      logging: { level: "info", format: "auto" },
      network: { module: "bridge-irc", config: {} },
      bridge: {
        commandPrefix: "!",
        permissions: { "example.org": "user" },
        relayTemplate: "{displayname}: {message}",
        gapCheckSeconds: 30,
        publishPortals: false,
      },
      encryption: { allow: false, default: false, require: false },
      metrics: { enabled: true },
      media: {
        allowPrivateAddresses: false,
        linkLifetimeSeconds: DEFAULT_MEDIA_LINK_LIFETIME_SECONDS,
        maxBytes: DEFAULT_MEDIA_MAX_BYTES,
      },
    });
  });

  it("resolves relative paths against the config folder and keeps absolute ones", () => {
    const text =
      withLine(9, "  path: /var/lib/testnet") +
      "  ghost_template: irc_{id}\n  config:\n    server: irc.example.net\nlogging:\n  file: ../log/bridge.log\n";
    const config = parseConfig(
      text.replace("module: bridge-irc", "module: ./plugins/irc.ts"),
      "c.yaml",
      "/srv/bridge",
    );
    assert.equal(config.store.path, "/var/lib/testnet");
    assert.equal(config.logging.file, "/srv/log/bridge.log");
    assert.equal(config.network.module, "/srv/bridge/plugins/irc.ts");
    assert.equal(config.network.ghostTemplate, "irc_{id}");
    assert.deepEqual(config.network.config, { server: "irc.example.net" });
  });

  it("reads every optional setting", () => {
    const text = `homeserver: {url: "https://matrix.example.org", domain: example.org}
appservice:
  id: testnet
  bind_address: 0.0.0.0
  port: 29300
  bot_username: testnetbot
  bot_displayname: Testnet bridge
  max_body_bytes: 1024
store: {path: /var/lib/testnet, sync: false, key_file: keys/bridge.key}
logging: {level: debug, file: /var/log/testnet.log}
network: {module: bridge-irc, ghost_template: "irc_{id}", alias_template: "irc_{id}", config: {}}
bridge:
  command_prefix: "?"
  relay_template: "<{displayname}> {message}"
  permissions:
    "*": user
    "@admin:example.org": admin
double_puppet: {registration: ./doublepuppet.yaml}
provisioning: {secret: "0123456789abcdef0123456789abcdef"}
metrics: {enabled: false}
media:
  allow_private_addresses: true
  public_url: https://bridge.example.org/media/
  link_lifetime_seconds: 0
  max_bytes: 1000
`;
    const config = parseConfig(text, "config.yaml", "/srv/bridge");
    assert.deepEqual(config.appservice, {
      id: "testnet",
      bindAddress: "0.0.0.0",
      port: 29300,
      botUsername: "testnetbot",
      botDisplayname: "Testnet bridge",
      maxBodyBytes: 1024,
    });
    assert.deepEqual(config.store, {
      type: "leveldb",
      path: "/var/lib/testnet",
      sync: false,
      keyFile: "/srv/bridge/keys/bridge.key",
    });
    assert.deepEqual(config.logging, { level: "debug", file: "/var/log/testnet.log", format: "auto" });
    assert.deepEqual(config.bridge, {
      commandPrefix: "?",
      permissions: { "*": "user", "@admin:example.org": "admin" },
      relayTemplate: "<{displayname}> {message}",
      gapCheckSeconds: 30,
      publishPortals: false,
    });
    assert.deepEqual(config.doublePuppet, { registrationPath: "/srv/bridge/doublepuppet.yaml" });
    assert.deepEqual(config.provisioning, { secret: "0123456789abcdef0123456789abcdef" });
    assert.deepEqual(config.metrics, { enabled: false });
    assert.deepEqual(config.media, {
      allowPrivateAddresses: true,
      publicUrl: "https://bridge.example.org/media",
      linkLifetimeSeconds: 0,
      maxBytes: 1000,
    });
  });

  it("never shows the provisioning secret in an error, and needs {message} in the relay template", () => {
    const text = `${MINIMAL}bridge: {relay_template: "{displayname} says"}\nprovisioning: {secret: short-secret-value}\n`;
    assert.throws(
      () => parseConfig(text, "config.yaml", "/srv/bridge"),
      (err: Error) => {
        assert.match(err.message, /provisioning\.secret: must be at least 32 characters/);
        assert.match(err.message, /bridge\.relay_template: must contain \{message\}/);
        assert.ok(!err.message.includes("short-secret-value"), err.message);
        return true;
      },
    );
  });

  it("treats an empty network.config as no settings", () => {
    const config = parseConfig(MINIMAL + "  config:\n", "config.yaml", "/srv/bridge");
    assert.deepEqual(config.network.config, {});
  });

  it("accepts the annotated example config", () => {
    const path = fileURLToPath(new URL("../../config.example.yaml", import.meta.url));
    const config = loadConfig(path);
    assert.equal(config.appservice.id, "testnet");
    assert.equal(config.network.aliasTemplate, "irc_{id}");
  });
});

describe("config errors", () => {
  it("names the key and line of a value of the wrong type, with the value", () => {
    const e = configError(withLine(6, "  port: abc"));
    assert.equal(e.message, 'config.yaml:6: appservice.port: expected an integer from 1 to 65535, got "abc"');
    assert.deepEqual(e.problems, [
      { path: "appservice.port", line: 6, message: 'expected an integer from 1 to 65535, got "abc"' },
    ]);
  });

  it("rejects out-of-range numbers and bad formats", () => {
    assert.match(
      configError(withLine(6, "  port: 70000")).message,
      /^config\.yaml:6: appservice\.port: .* got 70000$/,
    );
    assert.match(
      configError(withLine(2, "  url: ftp://x")).message,
      /^config\.yaml:2: homeserver\.url: expected an/,
    );
    assert.match(configError(withLine(5, "  id: Test Net")).message, /^config\.yaml:5: appservice\.id: /);
    const media = (line: string) => configError(`${MINIMAL}media:\n  ${line}\n`).message;
    assert.match(
      media("public_url: https://x.example/?a=b"),
      /^config\.yaml:13: media\.public_url: expected an/,
    );
    assert.match(media("public_url: relative/path"), /^config\.yaml:13: media\.public_url: expected an/);
    assert.match(media("link_lifetime_seconds: -5"), /^config\.yaml:13: media\.link_lifetime_seconds: /);
    assert.match(media("link_lifetime_seconds: 1.5"), /^config\.yaml:13: media\.link_lifetime_seconds: /);
    assert.match(media("max_bytes: 0"), /^config\.yaml:13: media\.max_bytes: expected a positive integer/);
  });

  it("reports an unknown key, even a misspelt optional one, at its line", () => {
    const e = configError(withLine(6, "  port: 29300", "  bind_adress: 0.0.0.0"));
    assert.equal(e.message, "config.yaml:7: appservice.bind_adress: unknown key");
    const top = configError(MINIMAL + "extra:\n  a: 1\n");
    assert.equal(top.message, "config.yaml:12: extra: unknown key");
  });

  it("allows any key under network.config", () => {
    const config = parseConfig(MINIMAL + "  config:\n    anything: [1, 2]\n", "config.yaml", "/");
    assert.deepEqual(config.network.config, { anything: [1, 2] });
  });

  it("reports a missing required key at the mapping that lacks it", () => {
    assert.equal(configError(withLine(6)).message, "config.yaml:4: appservice.port: missing required key");
    const e = configError(MINIMAL.replace("store:\n  path: ./data/testnet\n", ""));
    assert.equal(e.message, "config.yaml: store: missing required key");
    assert.deepEqual(e.problems, [{ path: "store", line: null, message: "missing required key" }]);
  });

  it("reports a value outside an enumeration", () => {
    const e = configError(MINIMAL + "logging:\n  level: loud\n");
    assert.equal(
      e.message,
      'config.yaml:13: logging.level: expected one of debug, info, warn, error, got "loud"',
    );
  });

  it("reports bad permission entries, naming the key", () => {
    const e = configError(
      MINIMAL + 'bridge:\n  permissions:\n    "@a:example.org": god\n    "not a key": user\n',
    );
    assert.deepEqual(
      e.problems.map((p) => [p.line, p.path]),
      [
        [14, 'bridge.permissions["@a:example.org"]'],
        [15, 'bridge.permissions["not a key"]'],
      ],
    );
  });

  it("checks ghost and alias templates", () => {
    const e = configError(MINIMAL + "  ghost_template: irc_\n  alias_template: IRC_{id}\n");
    assert.deepEqual(
      e.problems.map((p) => p.message),
      [
        'expected a template with {id} exactly once, got "irc_"',
        'expected a template of only a-z 0-9 . _ = - / + around {id}, got "IRC_{id}"',
      ],
    );
  });

  it("refuses a template without a fixed prefix, with its key and line", () => {
    const e = configError(MINIMAL + '  ghost_template: "{id}"\n');
    assert.deepEqual(
      e.problems.map((p) => [p.path, p.message]),
      [["network.ghost_template", 'expected a fixed prefix before {id}, such as irc_{id}, got "{id}"']],
    );
    assert.equal(e.problems[0]?.line, MINIMAL.split("\n").length);
  });

  it("turns YAML syntax errors into a ConfigError with the line", () => {
    const e = configError(withLine(6, "  port: [29300"));
    assert.equal(e.problems.length, 1);
    assert.equal(e.problems[0]?.line, 7);
    assert.match(e.message, /^config\.yaml:7: invalid YAML: /);
    assert.equal(configError(MINIMAL + "store:\n  path: x\n").problems[0]?.line, 12, "a duplicate key");
  });

  it("reports an empty file", () => {
    assert.equal(configError("").message, "config.yaml: expected a mapping of settings, got an empty value");
  });

  it("reports every problem at once, in file order, one per line", () => {
    const e = configError(
      withLine(2, "  url: 5").replace("port: 29300", "port: x").replace("domain:", "domian:"),
    );
    assert.deepEqual(
      e.problems.map((p) => `${p.line} ${p.path}`),
      ["1 homeserver.domain", "2 homeserver.url", "3 homeserver.domian", "6 appservice.port"],
    );
    assert.equal(e.message.split("\n").length, 4);
  });

  it("never shows the values of unknown keys, mappings or YAML lines", () => {
    const secret = "syt_dGVzdA_sUpErSeCrEtToKeN";
    const texts = [
      withLine(6, "  port: 29300", `  as_token: ${secret}`),
      withLine(3, `  domain: example.org`, `  password: {nested: ${secret}}`),
      withLine(1, `homeserver: ${secret}`, "  x: 1"),
      withLine(1, `homeserver: ${secret}`),
      withLine(6, `  port: ${secret}: x`),
    ];
    for (const text of texts) {
      const e = configError(text);
      assert.ok(!e.message.includes(secret), e.message);
      assert.ok(!JSON.stringify(e.problems).includes(secret), e.message);
    }
  });
});

describe("ConfigError", () => {
  it("can carry a single problem that belongs to no line", () => {
    const e = new ConfigError("network.module: bridge-irc has no default export");
    assert.equal(e.message, "network.module: bridge-irc has no default export");
    assert.equal(e.source, "");
    assert.deepEqual(e.problems, [{ path: "", line: null, message: e.message }]);
  });
});

describe("loadConfig", () => {
  it("names the file as given and resolves paths against its folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-test-"));
    try {
      const path = join(dir, "config.yaml");
      writeFileSync(path, MINIMAL);
      assert.equal(loadConfig(path).store.path, join(dir, "data/testnet"));
      writeFileSync(path, withLine(6, "  port: 0"));
      assert.throws(() => loadConfig(path), {
        name: "ConfigError",
        message: new RegExp(`^${path}:6: appservice.port`),
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("reports a missing file as a ConfigError", () => {
    assert.throws(() => loadConfig("/nonexistent/config.yaml"), {
      name: "ConfigError",
      message: "/nonexistent/config.yaml: cannot read the config file (ENOENT)",
    });
  });
});
