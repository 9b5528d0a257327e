import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Logger } from "../src/log.ts";

function capture() {
  const lines: string[] = [];
  const logger = Logger.create({ level: "debug", sink: { write: (line) => lines.push(line) } });
  return { logger, lines, text: () => lines.join("") };
}

/** Every spelling a secret could take in a JSON line: as is, and as JSON escapes it. */
function spellings(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1)];
}

describe("Logger secret scrubbing", () => {
  it("hides secrets holding quotes, backslashes, control characters and non-ASCII, in every spelling", () => {
    const { logger, text } = capture();
    const secrets = ['pa"ss"word', "back\\slash\\pw", "tab\tand\nnewline", "pässwörd🔑", 'mix "\\ \u0001 é'];
    for (const s of secrets) logger.addSecret(s);
    for (const s of secrets) {
      logger.info(`message with ${s} inside`, { field: `value ${s}`, nested: { list: [s, { deep: s }] } });
      logger.warn("failed", { err: new Error(`could not log in with ${s}`) });
    }
    const out = text();
    for (const s of secrets)
      for (const spelt of spellings(s)) assert.ok(!out.includes(spelt), JSON.stringify(s));
    assert.match(out, /message with \[redacted\] inside/);
    for (const line of out.trim().split("\n")) JSON.parse(line);
  });

  it("hides short secrets too: from 4 characters anywhere, shorter ones wherever they stand alone", () => {
    const { logger, lines } = capture();
    logger.addSecret("a1b2");
    logger.addSecret("pw");
    logger.addSecret("x");
    logger.info("login a1b2 and xa1b2x", { password_hint: "pw", args: ["user", "pw"], note: "x" });
    logger.info("the word pwned and max stay");
    const [first = "", second = ""] = lines;
    assert.ok(!first.includes("a1b2"), first);
    assert.ok(!/[^\p{L}\p{N}]pw[^\p{L}\p{N}]/u.test(first), first);
    assert.ok(!first.includes('"x"'), first);
    assert.match(second, /the word pwned and max stay/);
  });

  it("hides a secret inside another and the longer one whole", () => {
    const { logger, text } = capture();
    logger.addSecret("hunter2");
    logger.addSecret("hunter2-longer");
    logger.info("hunter2-longer and hunter2");
    assert.match(text(), /"\[redacted\] and \[redacted\]"/);
  });

  it("redacts fields named for secrets, keeps the line valid JSON with cycles, bigints and dates", () => {
    const { logger, lines } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic["self"] = cyclic;
    logger.info("values", { accessToken: "abc", cyclic, big: 10n, at: new Date(0) });
    const parsed = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    assert.equal(parsed["accessToken"], "[redacted]");
    assert.deepEqual(parsed["cyclic"], { name: "loop", self: "[circular]" });
    assert.equal(parsed["big"], "10");
    assert.equal(parsed["at"], "1970-01-01T00:00:00.000Z");
  });

  it("shares secrets with child loggers", () => {
    const { logger, text } = capture();
    const child = logger.child({ component: "x" });
    child.addSecret("child-secret");
    logger.info("parent sees child-secret");
    assert.ok(!text().includes("child-secret"));
  });
});
