import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/load.ts";

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

function message(text: string): string {
  try {
    parseConfig(text, "config.yaml", "/srv/bridge");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail("the config was accepted");
}

describe("portals config", () => {
  it("is open without the section, and keeps the patterns it is given", () => {
    assert.equal(parseConfig(MINIMAL, "config.yaml", "/srv").portals, undefined);
    const config = parseConfig(
      `${MINIMAL}portals:\n  allow: ["#matrix-*"]\n  deny: ["#matrix-secret"]\n`,
      "c",
      "/",
    );
    assert.deepEqual(config.portals, { allow: ["#matrix-*"], deny: ["#matrix-secret"] });
  });

  it("reports mistakes with their key and line", () => {
    assert.match(
      message(`${MINIMAL}portals:\n  allow: "#matrix-*"\n`),
      /^config\.yaml:13: portals\.allow: expected a list of patterns/,
    );
    assert.match(
      message(`${MINIMAL}portals:\n  deny:\n    - ""\n`),
      /^config\.yaml:14: portals\.deny\[0\]: expected a non-empty pattern/,
    );
    assert.match(message(`${MINIMAL}portals:\n  allowed: []\n`), /^config\.yaml:13: portals/);
    assert.match(
      message(`${MINIMAL}portals:\n  allow:\n    - 5\n`),
      /^config\.yaml:14: portals\.allow\[0\]: expected a pattern/,
    );
  });
});
