import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { RelayTemplate, type Signature, signedParts } from "../src/formatting/relay.ts";
import { plainRuns, textOf } from "../src/formatting/rich-text.ts";
import { richTextToRuns } from "../src/formatting/rich-text-runs.ts";
import { cutPositions } from "../src/formatting/split.ts";
import { runsToTelegramHtml } from "../src/formatting/telegram-html.ts";

const template = new RelayTemplate("<b>{displayname}</b>: {message}");
const signedByAl: Signature = (line) => template.fill("Al", line);
const unsigned: Signature = (line) => [...line];

describe("signing and splitting what the bot writes", () => {
  test("a message within the limit is one part", () => {
    assert.deepEqual(signedParts(plainRuns("short"), signedByAl, 4096).map(runsToTelegramHtml), [
      "<b>Al</b>: short",
    ]);
  });

  test("every line carries the name; empty lines stay empty", () => {
    assert.deepEqual(signedParts(plainRuns("hi\n\nBob: me too"), signedByAl, 4096).map(runsToTelegramHtml), [
      "<b>Al</b>: hi\n\n<b>Al</b>: Bob: me too",
    ]);
  });

  test("a code block or a quote is one box, signed once, its lines kept together", () => {
    const runs = richTextToRuns([
      { type: "text", text: "look" },
      { type: "codeBlock", text: "a\nb" },
      { type: "quote", children: [{ type: "text", text: "c\nd" }] },
    ]);
    assert.deepEqual(signedParts(runs, signedByAl, 4096).map(runsToTelegramHtml), [
      "<b>Al</b>: look\n<b>Al</b>: <pre>a\nb</pre>\n<b>Al</b>: <blockquote>c\nd</blockquote>",
    ]);
  });

  test("lines are packed into parts; a part is a message of its own and starts with the name", () => {
    const parts = signedParts(plainRuns("one two three four five six seven"), signedByAl, 20);
    assert.deepEqual(parts.map(textOf), ["Al: one two three ", "Al: four five six ", "Al: seven"]);
    const lines = signedParts(plainRuns("aaaa\nbbbb\ncccc"), signedByAl, 20);
    assert.deepEqual(lines.map(textOf), ["Al: aaaa\nAl: bbbb", "Al: cccc"]);
  });

  test("cuts after a line break or a space near the end, else at the limit", () => {
    assert.deepEqual(cutPositions("aaaa\nbbbbbb", 8), [5]);
    assert.deepEqual(cutPositions("aaaaa bbbbbb", 8), [6]);
    assert.deepEqual(cutPositions("a".repeat(20), 8), [8, 16]);
  });

  test("never between the halves of a surrogate pair", () => {
    const text = `${"a".repeat(7)}😀😀`;
    assert.equal(cutPositions(text, 8)[0], 7);
    for (const part of signedParts(plainRuns(text), unsigned, 8)) assert.ok(textOf(part).isWellFormed());
  });

  test("formatting open at a cut is closed in one part and opened again in the next", () => {
    const runs = richTextToRuns([{ type: "bold", children: [{ type: "text", text: "word ".repeat(10) }] }]);
    const parts = signedParts(runs, unsigned, 20).map(runsToTelegramHtml);
    assert.ok(parts.length > 1);
    for (const part of parts) assert.match(part, /^<b>[^<]*<\/b>$/);
  });

  test("every character arrives, in order, each part within the limit and each line signed", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.integer({ min: 8, max: 50 }),
        (text, max) => {
          const parts = signedParts(plainRuns(text), signedByAl, max).map(textOf);
          for (const part of parts) assert.ok(part.length <= max);
          const lines = parts.flatMap((part) => part.split("\n"));
          for (const line of lines) assert.ok(line.trim() === "" || line.startsWith("Al: "), line);
          // White space only lines are left as they are, or out at a part's start; everything else is there.
          const written = lines.map((line) => (line.startsWith("Al: ") ? line.slice(4) : line)).join("");
          assert.equal(written.replace(/\s/g, ""), text.replace(/\s/g, ""));
        },
      ),
    );
  });
});
