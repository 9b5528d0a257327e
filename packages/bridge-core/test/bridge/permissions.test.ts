import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Permissions } from "../../src/bridge/permissions.ts";
import { parseConfig } from "../../src/config/load.ts";
import { parseUserId } from "../../src/ids.ts";

const MINIMAL_CONFIG = `homeserver: {url: "http://127.0.0.1:8008/", domain: example.org}
appservice: {id: testnet, port: 29300, bot_username: testnetbot}
store: {path: ./data}
network: {module: bridge-irc}
`;

const level = (permissions: Permissions, userId: string) => permissions.levelOf(parseUserId(userId));

describe("Permissions", () => {
  it("uses the most specific entry: user id over server name over *", () => {
    const permissions = new Permissions({
      "*": "user",
      "example.org": "admin",
      "@bob:example.org": "user",
      "@carol:other.org": "admin",
    });
    assert.equal(level(permissions, "@bob:example.org"), "user");
    assert.equal(level(permissions, "@alice:example.org"), "admin");
    assert.equal(level(permissions, "@carol:other.org"), "admin");
    assert.equal(level(permissions, "@dave:other.org"), "user");
  });

  it("matches a server name exactly, port included", () => {
    const permissions = new Permissions({ "example.org": "admin" });
    assert.equal(level(permissions, "@alice:example.org"), "admin");
    assert.equal(level(permissions, "@alice:sub.example.org"), "none");
    assert.equal(level(permissions, "@alice:example.org:8448"), "none");
  });

  it("is authoritative: a user no entry names has no permission, also on the bridge's own server", () => {
    const onlyAlice = new Permissions({ "@alice:example.org": "user", "@root:example.org": "admin" });
    assert.equal(level(onlyAlice, "@alice:example.org"), "user");
    assert.equal(level(onlyAlice, "@root:example.org"), "admin");
    assert.equal(level(onlyAlice, "@mallory:example.org"), "none");
    assert.equal(onlyAlice.allows(parseUserId("@mallory:example.org")), false);
    assert.equal(onlyAlice.allows(parseUserId("@alice:example.org")), true);
    assert.equal(level(new Permissions({}), "@alice:example.org"), "none");
    // Whatever the server is called: no server name gets a level the table does not give it.
    for (const server of ["localhost", "example.org", "matrix.org"])
      assert.equal(level(new Permissions({ "@alice:localhost": "user" }), `@mallory:${server}`), "none");
  });

  it("without a permissions section, the config's default lets only the homeserver's own users in", () => {
    const config = parseConfig(MINIMAL_CONFIG, "config.yaml", "/srv/bridge");
    const permissions = new Permissions(config.bridge.permissions);
    assert.equal(level(permissions, "@alice:example.org"), "user");
    assert.equal(level(permissions, "@alice:other.org"), "none");
  });

  it("never reads a level from the table's prototype", () => {
    const permissions = new Permissions({ "example.org": "user" });
    for (const server of ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"]) {
      assert.equal(level(permissions, `@mallory:${server}`), "none", server);
    }
  });
});
