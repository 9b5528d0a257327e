import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Permissions } from "../../src/bridge/permissions.ts";
import { parseUserId } from "../../src/ids.ts";

const level = (permissions: Permissions, userId: string) => permissions.levelOf(parseUserId(userId));

describe("Permissions", () => {
  it("uses the most specific entry: user id over server name over *", () => {
    const permissions = new Permissions(
      { "*": "user", "example.org": "admin", "@bob:example.org": "user", "@carol:other.org": "admin" },
      "example.org",
    );
    assert.equal(level(permissions, "@bob:example.org"), "user");
    assert.equal(level(permissions, "@alice:example.org"), "admin");
    assert.equal(level(permissions, "@carol:other.org"), "admin");
    assert.equal(level(permissions, "@dave:other.org"), "user");
  });

  it("matches a server name exactly, port included", () => {
    const permissions = new Permissions({ "example.org": "admin" }, "home.test");
    assert.equal(level(permissions, "@alice:example.org"), "admin");
    assert.equal(level(permissions, "@alice:sub.example.org"), "none");
    assert.equal(level(permissions, "@alice:example.org:8448"), "none");
  });

  it("gives users of the local domain `user` and everyone else `none` without a matching entry", () => {
    const empty = new Permissions({}, "example.org");
    assert.equal(level(empty, "@alice:example.org"), "user");
    assert.equal(level(empty, "@alice:other.org"), "none");

    const onlyAdmin = new Permissions({ "@root:example.org": "admin" }, "example.org");
    assert.equal(level(onlyAdmin, "@root:example.org"), "admin");
    assert.equal(level(onlyAdmin, "@alice:example.org"), "user");
    assert.equal(level(onlyAdmin, "@root:other.org"), "none");
  });

  it("never reads a level from the table's prototype", () => {
    const permissions = new Permissions({ "example.org": "user" }, "example.org");
    for (const server of ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"]) {
      assert.equal(level(permissions, `@mallory:${server}`), "none", server);
    }
  });
});
