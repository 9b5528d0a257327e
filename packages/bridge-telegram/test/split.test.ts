import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { htmlToRuns } from "../src/formatting/html-to-runs.ts";
import { plainRuns, textOf } from "../src/formatting/rich-text.ts";
import { cutPositions, splitRuns } from "../src/formatting/split.ts";
import { runsToTelegramHtml } from "../src/formatting/telegram-html.ts";

describe("splitting long messages", () => {
  test("a message within the limit is one part", () => {
    assert.deepEqual(splitRuns(plainRuns("short"), 4096).map(textOf), ["short"]);
  });

  test("cuts after a line break or a space near the end, else at the limit", () => {
    assert.deepEqual(cutPositions("aaaa\nbbbbbb", 8), [5]);
    assert.deepEqual(cutPositions("aaaaa bbbbbb", 8), [6]);
    assert.deepEqual(cutPositions("a".repeat(20), 8), [8, 16]);
  });

  test("never between the halves of a surrogate pair", () => {
    const text = `${"a".repeat(7)}😀😀`;
    const cuts = cutPositions(text, 8);
    assert.equal(cuts[0], 7);
    for (const part of splitRuns(plainRuns(text), 8)) assert.ok(textOf(part).isWellFormed());
  });

  test("formatting open at a cut is closed in one part and opened again in the next", () => {
    const runs = htmlToRuns(`<b>${"word ".repeat(10)}</b>`, { newlines: "collapse" });
    const parts = splitRuns(runs, 20).map(runsToTelegramHtml);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.match(part, /^<b>[^<]*<\/b>$/);
  });

  test("every character arrives, in order, each part within the limit", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.integer({ min: 8, max: 50 }),
        (text, max) => {
          const parts = splitRuns(plainRuns(text), max).map(textOf);
          for (const part of parts) assert.ok(part.length <= max);
          // Parts of only white space are left out (Telegram refuses them); everything else is there.
          assert.equal(parts.join("").replace(/\s/g, ""), text.replace(/\s/g, ""));
        },
      ),
    );
  });
});
