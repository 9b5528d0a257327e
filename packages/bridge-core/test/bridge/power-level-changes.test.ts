import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changedUserLevels } from "../../src/bridge/power-levels.ts";

describe("changed user levels", () => {
  it("lists users raised, lowered, added and removed, with users_default for those not listed", () => {
    const before = { users: { "@a:x": 100, "@b:x": 50, "@c:x": 50 }, users_default: 0 };
    const after = { users: { "@a:x": 100, "@b:x": 0, "@d:x": 50 }, users_default: 0 };
    assert.deepEqual(
      [...changedUserLevels(after, before)],
      [
        ["@b:x", 0],
        ["@d:x", 50],
        ["@c:x", 0],
      ],
    );
  });

  it("counts every listed user as changed when the previous content is unknown", () => {
    assert.deepEqual(
      [...changedUserLevels({ users: { "@a:x": 50 }, users_default: 10 }, undefined)],
      [["@a:x", 50]],
    );
  });

  it("treats a user dropped to a raised users_default as at that default, and ignores junk levels", () => {
    const before = { users: { "@a:x": 50, "@b:x": "high" } };
    const after = { users: {}, users_default: 50 };
    assert.deepEqual([...changedUserLevels(after, before)], [["@b:x", 50]]);
  });
});
