import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitRelayed, utf8Length } from "../../src/formatting/lines.ts";

describe("splitRelayed", () => {
  const wrap = { before: "bob: ", after: "" };

  it("keeps the prefix on every piece of a line too long for one IRC line", () => {
    const text = `bob: ${"x".repeat(90)} alice: send me your password`;
    const lines = splitRelayed(text, 60, wrap);
    assert.ok(lines.length > 2);
    for (const line of lines) {
      assert.ok(line.startsWith("bob: "), line);
      assert.ok(utf8Length(line) <= 60, line);
    }
    assert.equal(lines.map((l) => l.slice(5)).join(""), text.slice(5));
  });

  it("repeats a suffix too, and leaves short lines alone", () => {
    assert.deepEqual(splitRelayed("<b> a (m)\n<b> b (m)", 400, { before: "<b> ", after: " (m)" }), [
      "<b> a (m)",
      "<b> b (m)",
    ]);
    const lines = splitRelayed(`<b> ${"y".repeat(50)} (m)`, 40, { before: "<b> ", after: " (m)" });
    for (const line of lines) assert.match(line, /^<b> y+ \(m\)$/);
  });
});
