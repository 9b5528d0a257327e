import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isSafeIrcParam,
  privmsgBudget,
  sanitizeIrcText,
  sanitizeNick,
  splitMessage,
  utf8Length,
} from "../../src/formatting/lines.ts";

describe("sanitizeIrcText", () => {
  it("turns line breaks into spaces and removes NUL", () => {
    assert.equal(sanitizeIrcText("a\r\nb\rc\nd\0e"), "a b c de");
  });

  it("replaces lone surrogates, which UTF-8 cannot carry", () => {
    assert.equal(sanitizeIrcText("x\uD800y"), "x\uFFFDy");
  });
});

describe("splitMessage", () => {
  it("keeps a short line as it is", () => {
    assert.deepEqual(splitMessage("hello", 10), ["hello"]);
  });

  it("starts a new line at each line break and drops empty lines", () => {
    assert.deepEqual(splitMessage("a\r\nb\rc\n\n\nd\n", 10), ["a", "b", "c", "d"]);
    assert.deepEqual(splitMessage("\n\r\n", 10), []);
    assert.deepEqual(splitMessage("", 10), []);
  });

  it("removes NUL", () => {
    assert.deepEqual(splitMessage("a\0b", 10), ["ab"]);
  });

  it("breaks after spaces, keeping them at the end of the line", () => {
    assert.deepEqual(splitMessage("hello world this is a test", 12), ["hello world ", "this is a ", "test"]);
  });

  it("cuts a word longer than a line", () => {
    assert.deepEqual(splitMessage("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert.deepEqual(splitMessage("x abcdefghij", 4), ["x ", "abcd", "efgh", "ij"]);
  });

  it("counts bytes, not characters, and never cuts a UTF-8 sequence", () => {
    // "é" is 2 bytes, "€" 3, "😀" 4 (a surrogate pair in JavaScript).
    assert.deepEqual(splitMessage("ééé", 5), ["éé", "é"]);
    assert.deepEqual(splitMessage("€€€", 7), ["€€", "€"]);
    assert.deepEqual(splitMessage("😀😀😀", 9), ["😀😀", "😀"]);
  });

  it("keeps grapheme clusters whole", () => {
    const family = "👨‍👩‍👧"; // 18 bytes
    const flag = "🇫🇷"; // 8 bytes
    assert.deepEqual(splitMessage(`${family}${family}`, 20), [family, family]);
    assert.deepEqual(splitMessage(`${flag}${flag}${flag}`, 20), [`${flag}${flag}`, flag]);
    assert.deepEqual(splitMessage("e\u0301e\u0301", 4), ["e\u0301", "e\u0301"]);
  });

  it("cuts an oversized cluster between code points", () => {
    const zalgo = `a${"\u0300".repeat(20)}`; // 41 bytes
    const lines = splitMessage(zalgo, 10);
    assert.equal(lines.join(""), zalgo);
    for (const line of lines) assert.ok(utf8Length(line) <= 10);
  });

  it("keeps a formatting code and its parameters together", () => {
    assert.deepEqual(splitMessage("abc\x0304,12x", 7), ["abc", "\x0304,12x"]);
    assert.deepEqual(splitMessage("abc\x0304,12x", 6), ["abc", "\x0304,12", "x"]);
    assert.deepEqual(splitMessage("abc\x04ff0000x", 8), ["abc", "\x04ff0000x"]);
  });

  it("splits 10 kB lines into full lines", () => {
    const text = "lorem ipsum dolor sit amet ".repeat(400); // 10 800 bytes
    const lines = splitMessage(text, 400);
    assert.equal(lines.join(""), text);
    for (const line of lines) assert.ok(utf8Length(line) <= 400);
    for (const line of lines.slice(0, -1)) {
      assert.ok(utf8Length(line) > 370, "lines are filled up to the last word that fits");
    }
    const noSpaces = "😀".repeat(2600); // 10 400 bytes
    const cut = splitMessage(noSpaces, 399);
    assert.equal(cut.join(""), noSpaces);
    assert.equal(cut.length, Math.ceil(2600 / 99));
    assert.ok(cut.every((l) => utf8Length(l) === 396 || l === cut.at(-1)));
  });

  it("rejects a budget smaller than one code point", () => {
    assert.throws(() => splitMessage("x", 3), RangeError);
    assert.throws(() => splitMessage("x", 10.5), RangeError);
  });

  describe("carrying formatting", () => {
    it("re-applies the formatting in effect at the break", () => {
      assert.deepEqual(splitMessage("\x02bold words here\x02 plain", 12, { carryFormatting: true }), [
        "\x02bold words ",
        "\x02here\x02 plain",
      ]);
      assert.deepEqual(splitMessage("\x0304,01red text x", 14, { carryFormatting: true }), [
        "\x0304,01red ",
        "\x0304,01text x",
      ]);
    });

    it("does not carry across line breaks, which are separate messages", () => {
      assert.deepEqual(splitMessage("\x02a\nb", 10, { carryFormatting: true }), ["\x02a", "b"]);
    });

    it("drops lines that would only hold codes", () => {
      assert.deepEqual(splitMessage("abcd\x02\x1D", 4, { carryFormatting: true }), ["abcd"]);
      assert.deepEqual(splitMessage("\x02\n\x0F", 4, { carryFormatting: true }), []);
    });

    it("keeps a carried colour apart from a comma and digits that follow", () => {
      assert.deepEqual(splitMessage("\x0304abc ,5", 8, { carryFormatting: true }), [
        "\x0304abc ",
        "\x0304\x02\x02,5",
      ]);
    });
  });
});

describe("privmsgBudget", () => {
  it("leaves room for the prefix the server adds", () => {
    // ":alice!~alice@host.example PRIVMSG #chan :" + "\r\n" = 42 + 2
    assert.equal(
      privmsgBudget({
        nick: "alice",
        user: "alice",
        host: "host.example",
        target: "#chan",
        command: "PRIVMSG",
      }),
      512 - 44,
    );
  });

  it("counts a ~ the server may put before the username, once", () => {
    const base = { nick: "n", host: "h", target: "#c", command: "PRIVMSG" } as const;
    assert.equal(privmsgBudget({ ...base, user: "u" }), privmsgBudget({ ...base, user: "~u" }));
  });

  it("assumes a 63-byte host when unknown", () => {
    const base = { nick: "n", user: "u", target: "#c", command: "PRIVMSG" } as const;
    assert.equal(privmsgBudget(base), privmsgBudget({ ...base, host: "h".repeat(63) }));
    assert.equal(privmsgBudget({ ...base, host: "" }), privmsgBudget(base));
  });

  it("counts NOTICE, the CTCP ACTION wrapper and multibyte targets", () => {
    const base = { nick: "n", user: "u", host: "h", target: "#c" };
    const privmsg = privmsgBudget({ ...base, command: "PRIVMSG" });
    assert.equal(privmsgBudget({ ...base, command: "NOTICE" }), privmsg + 1);
    assert.equal(privmsgBudget({ ...base, command: "PRIVMSG", action: true }), privmsg - 9);
    assert.equal(privmsgBudget({ ...base, command: "PRIVMSG", target: "#ç" }), privmsg - 1);
  });

  it("makes lines that fit exactly into 512 bytes", () => {
    const params = {
      nick: "nick",
      user: "~user",
      host: "some.host",
      target: "#chan",
      command: "PRIVMSG",
    } as const;
    const budget = privmsgBudget(params);
    const lines = splitMessage("€".repeat(1000), budget).map(
      (text) => `:${params.nick}!${params.user}@${params.host} PRIVMSG ${params.target} :${text}\r\n`,
    );
    for (const line of lines) assert.ok(utf8Length(line) <= 512);
    for (const line of lines.slice(0, -1)) assert.ok(utf8Length(line) > 509);
  });

  it("is never negative", () => {
    assert.equal(privmsgBudget({ nick: "n", user: "u", target: "#".repeat(600), command: "PRIVMSG" }), 0);
  });
});

describe("sanitizeNick", () => {
  it("makes nicks from display names", () => {
    const cases: [string, string][] = [
      ["alice", "alice"],
      ["John Smith", "John_Smith"],
      ["  spaced   out  ", "spaced_out"],
      ["Zoë Ünal", "Zoe_Unal"],
      ["j.smith@work", "j_smith_work"],
      ["[m]bot{x}|^\\", "[m]bot{x}|^\\"],
      ["1337", "_1337"],
      ["-dash", "_-dash"],
      ["日本 alice", "_alice"],
      ["tab\there", "tab_here"],
    ];
    for (const [name, nick] of cases) assert.equal(sanitizeNick(name), nick, name);
  });

  it("is never empty, and differs for different unusable names", () => {
    const a = sanitizeNick("日本");
    const b = sanitizeNick("中文");
    assert.match(a, /^u[0-9a-z]+$/);
    assert.notEqual(a, b);
    assert.match(sanitizeNick(""), /^u[0-9a-z]+$/);
    assert.match(sanitizeNick("   "), /^u[0-9a-z]+$/);
  });

  it("respects the length limit", () => {
    assert.equal(sanitizeNick("a".repeat(50)), "a".repeat(30));
    assert.equal(sanitizeNick("abcdefghij", 9), "abcdefghi");
    assert.equal(sanitizeNick("abc", 0), "a");
  });
});

describe("isSafeIrcParam", () => {
  it("accepts ordinary channels and nicks", () => {
    for (const s of ["#chan", "alice", "&local", "#ça-va", "a:b"]) assert.ok(isSafeIrcParam(s), s);
  });

  it("rejects what would end or shift the parameter", () => {
    for (const s of ["", ":x", "a b", "a\rb", "a\nb", "a\0b"])
      assert.ok(!isSafeIrcParam(s), JSON.stringify(s));
  });
});
