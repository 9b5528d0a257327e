import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { templateToRegex } from "../../src/registration/namespaces.ts";
import {
  escapeLocalpart,
  fillTemplate,
  matchTemplate,
  templateProblem,
  unescapeLocalpart,
} from "../../src/templates.ts";

const ALLOWED = /^[a-z0-9._=\-/+]*$/;

const SAMPLES = [
  "alice",
  "Alice",
  "ALICE_",
  "a_b__c",
  "a=b",
  "=3d",
  "_a",
  "x.y-z/w+v",
  "user@example.net",
  "Grüße",
  "日本語",
  "emoji 🎉!",
  "tab\tand\nnewline",
  "#channel",
  "",
];

describe("escapeLocalpart", () => {
  it("follows the mapping from the Matrix specification", () => {
    assert.equal(escapeLocalpart("abc.-/+09"), "abc.-/+09");
    assert.equal(escapeLocalpart("Alice"), "_alice");
    assert.equal(escapeLocalpart("a_b"), "a__b");
    assert.equal(escapeLocalpart("a=b"), "a=3db");
    assert.equal(escapeLocalpart("a b"), "a=20b");
    assert.equal(escapeLocalpart("ü"), "=c3=bc");
  });

  it("only ever produces allowed localpart characters", () => {
    for (const s of SAMPLES) assert.match(escapeLocalpart(s), ALLOWED, s);
    let every = "";
    for (let c = 0; c < 0x250; c++) every += String.fromCodePoint(c);
    assert.match(escapeLocalpart(every), ALLOWED);
  });

  it("round-trips through unescapeLocalpart", () => {
    for (const s of SAMPLES) assert.equal(unescapeLocalpart(escapeLocalpart(s)), s, s);
  });

  it("refuses strings with unpaired surrogates, which could not be read back", () => {
    assert.throws(() => escapeLocalpart("a\ud800"), RangeError);
  });
});

describe("unescapeLocalpart", () => {
  it("rejects what escapeLocalpart never produces", () => {
    for (const s of ["_", "_1", "a_", "=", "=4", "=zz", "=41", "=61", "=5f", "A", "a b", "=c3", "=ff"]) {
      assert.equal(unescapeLocalpart(s), null, s);
    }
  });
});

describe("templates", () => {
  it("fills and matches as inverses", () => {
    assert.equal(fillTemplate("irc_{id}", "Alice"), "irc__alice");
    assert.equal(matchTemplate("irc_{id}", "irc__alice"), "Alice");
    for (const template of ["irc_{id}", "tg.{id}_tg", "x.{id}=y"]) {
      for (const id of SAMPLES.filter((s) => s !== "")) {
        const localpart = fillTemplate(template, id);
        assert.match(localpart, ALLOWED);
        assert.equal(matchTemplate(template, localpart), id);
      }
    }
  });

  it("does not match localparts the template did not make", () => {
    assert.equal(matchTemplate("irc_{id}", "irc_"), null);
    assert.equal(matchTemplate("irc_{id}", "alice"), null);
    assert.equal(matchTemplate("irc_{id}", "xirc_alice"), null);
    assert.equal(matchTemplate("irc_{id}", "irc_=41"), null);
    assert.equal(matchTemplate("tg.{id}_tg", "tg.alice_t"), null);
  });

  it("refuses an empty id and invalid templates", () => {
    assert.throws(() => fillTemplate("irc_{id}", ""), RangeError);
    assert.throws(() => fillTemplate("irc_", "a"), /exactly once/);
    assert.throws(() => matchTemplate("{id}{id}", "a"), /exactly once/);
    assert.throws(() => templateToRegex("IRC_{id}", "@", "example.org"), /a-z 0-9/);
    assert.equal(templateProblem("irc_{id}"), null);
  });

  it("refuses a template without a fixed prefix, which would claim the server's real users", () => {
    assert.match(templateProblem("{id}") ?? "", /fixed prefix/);
    assert.match(templateProblem("{id}_irc") ?? "", /fixed prefix/);
    assert.throws(() => templateToRegex("{id}", "@", "example.org"), /fixed prefix/);
  });

  it("builds anchored namespace regexes that match exactly the template's ids on the domain", () => {
    const regex = templateToRegex("irc_{id}", "@", "example.org");
    assert.equal(regex, String.raw`^@irc_[^:]+:example\.org$`);
    // As Synapse tests them: Python's re.match, anchored at the start only; nothing is added around the regex here.
    const re = new RegExp(regex);
    assert.ok(re.test(`@${fillTemplate("irc_{id}", "Alice")}:example.org`));
    assert.ok(!re.test("@irc_x:example.org.evil.net"));
    assert.ok(!re.test("@irc_x:example.orgevil.net"));
    assert.ok(!re.test("@irc_alice:exampleXorg"));
    assert.ok(!re.test("@irc_alice:other.org"));
    assert.ok(!re.test("@alice:example.org"));
    assert.ok(!re.test("@xirc_alice:example.org"));
    assert.ok(!re.test("@irc_:example.org"));
    assert.ok(!re.test("@irc_x:evil.net:example.org"));

    const special = new RegExp(templateToRegex("a.b+{id}", "#", "[::1]:8448"));
    assert.ok(special.test("#a.b+x:[::1]:8448"));
    assert.ok(!special.test("#aXbbx:[::1]:8448"));
    assert.ok(!special.test("#a.b+x:[::1]:84489"));
  });
});
