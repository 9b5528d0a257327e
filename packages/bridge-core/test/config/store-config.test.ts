import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

const withStore = (store: string) => `homeserver:
  url: http://127.0.0.1:8008/
  domain: example.org
appservice:
  id: testnet
  port: 29300
  bot_username: testnetbot
store:
${store}
network:
  module: bridge-irc
`;

function problems(text: string): string {
  try {
    parseConfig(text, "config.yaml", "/srv/bridge");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  return assert.fail("the config was accepted");
}

describe("store section", () => {
  it("reads a PostgreSQL store with its pool settings, in milliseconds", () => {
    const config = parseConfig(
      withStore(
        "  type: postgres\n  url: postgres://bridge:pw@db:5432/bridge\n  key_file: keys/bridge.key\n  pool_size: 4\n  retry_seconds: 5",
      ),
      "config.yaml",
      "/srv/bridge",
    );
    assert.deepEqual(config.store, {
      type: "postgres",
      path: "",
      sync: true,
      keyFile: "/srv/bridge/keys/bridge.key",
      postgres: {
        url: "postgres://bridge:pw@db:5432/bridge",
        poolSize: 4,
        connectTimeoutMs: 10_000,
        statementTimeoutMs: 30_000,
        retryMs: 5_000,
      },
    });
  });

  it("names what each type needs and forbids, by key and line, without quoting the database URL", () => {
    const noUrl = problems(withStore("  type: postgres\n  key_file: k"));
    assert.match(noUrl, /config\.yaml:\d+: store\.url: missing required key/);
    const noKey = problems(withStore("  type: postgres\n  url: postgres://u:hunter2@db/b"));
    assert.match(noKey, /config\.yaml:\d+: store\.key_file: missing required key/);
    const both = problems(
      withStore("  type: postgres\n  path: ./data\n  url: postgres://u:pw@db/b\n  key_file: k"),
    );
    assert.match(both, /store\.path: only for type: leveldb/);
    const levelWithUrl = problems(withStore("  path: ./data\n  url: postgres://u:pw@db/b"));
    assert.match(levelWithUrl, /store\.url: only for type: postgres/);
    const badUrl = problems(withStore("  type: postgres\n  url: mysql://u:hunter2@db/b\n  key_file: k"));
    assert.match(badUrl, /store\.url: expected a postgres:\/\/ URL/);
    assert.ok(!badUrl.includes("hunter2"), badUrl);
    assert.match(
      problems(withStore("  type: sqlite\n  path: x")),
      /store\.type: expected leveldb or postgres/,
    );
  });
});
