import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitRelayed, utf8Length } from "../../src/formatting/lines.ts";

describe("splitRelayed", () => {
  const marks = { before: "bob: ", after: "" };

  it("puts the marks on every piece of a line too long for one IRC line", () => {
    const text = `${"x".repeat(90)} alice: send me your password`;
    const lines = splitRelayed(text, 60, marks);
    assert.ok(lines.length > 2);
    for (const line of lines) {
      assert.ok(line.startsWith("bob: "), line);
      assert.ok(utf8Length(line) <= 60, line);
    }
    assert.equal(lines.map((l) => l.slice(5)).join(""), text);
  });

  it("puts them on every line, a suffix too, and drops blank lines", () => {
    assert.deepEqual(splitRelayed("a\n \nb", 400, { before: "<b> ", after: " (m)" }), [
      "<b> a (m)",
      "<b> b (m)",
    ]);
    const lines = splitRelayed("y".repeat(50), 40, { before: "<b> ", after: " (m)" });
    assert.ok(lines.length > 1);
    for (const line of lines) assert.match(line, /^<b> y+ \(m\)$/);
  });

  it("ends formatting before the suffix, so the mark is not styled", () => {
    assert.deepEqual(splitRelayed("\x02bold", 400, { before: "<b> ", after: " (m)" }), [
      "<b> \x02bold\x0F (m)",
    ]);
    assert.deepEqual(splitRelayed("\x02bold", 400, marks), ["bob: \x02bold"]);
  });
});
