import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RemoteUserId, RichText } from "bridge-core";
import { discordToRich, type TagNames } from "../src/markdown-to-rich.ts";
import { escapeMarkdown, mentionedUsers, richToDiscord } from "../src/rich-to-markdown.ts";

const CAROL = "123456789012345678";
const names: TagNames = {
  user: (id) => (id === CAROL ? "Carol" : undefined),
  role: (id) => (id === "222222222222222222" ? "mods" : undefined),
  channel: (id) => (id === "333333333333333333" ? "general" : undefined),
};
const text = (t: string) => ({ type: "text", text: t }) as const;
const fromDiscord = (markdown: string) => discordToRich(markdown, names);

describe("Discord markdown → rich text", () => {
  test("inline styles, nested, become nodes; text stays text", () => {
    assert.deepEqual(fromDiscord("a **bold _it_** __u__ ~~s~~ ||sp|| `c*d`"), [
      text("a "),
      { type: "bold", children: [text("bold "), { type: "italic", children: [text("it")] }] },
      text(" "),
      { type: "underline", children: [text("u")] },
      text(" "),
      { type: "strike", children: [text("s")] },
      text(" "),
      { type: "spoiler", children: [text("sp")] },
      text(" "),
      { type: "code", text: "c*d" },
    ]);
    assert.deepEqual(fromDiscord("***both***"), [
      { type: "bold", children: [{ type: "italic", children: [text("both")] }] },
    ]);
  });

  test("what does not close, escapes and snake_case words stay as written", () => {
    assert.deepEqual(fromDiscord("2 * 3 = 6 and **open"), [text("2 * 3 = 6 and **open")]);
    assert.deepEqual(fromDiscord("\\*not italic\\* snake_case_name"), [text("*not italic* snake_case_name")]);
  });

  test("mentions become mention nodes of the user id; roles, channels and custom emoji the text shown", () => {
    assert.deepEqual(
      fromDiscord(
        `hi <@${CAROL}> <@!${CAROL}> <@&222222222222222222> <#333333333333333333> <:wave:444444444444444444>`,
      ),
      [
        text("hi "),
        { type: "mention", user: CAROL as RemoteUserId, name: "Carol" },
        text(" "),
        { type: "mention", user: CAROL as RemoteUserId, name: "Carol" },
        text(" @mods #general :wave:"),
      ],
    );
  });

  test("masked links, code blocks, quotes, headings and lists are blocks and links", () => {
    assert.deepEqual(fromDiscord("[the **site**](https://example.org/a_b) <https://x.org>"), [
      {
        type: "link",
        url: "https://example.org/a_b",
        children: [text("the "), { type: "bold", children: [text("site")] }],
      },
      text(" https://x.org"),
    ]);
    assert.deepEqual(fromDiscord("before\n```ts\nconst a = **1**;\n```\nafter"), [
      text("before"),
      { type: "codeBlock", text: "const a = **1**;", language: "ts" },
      text("after"),
    ]);
    assert.deepEqual(fromDiscord("> quoted *x*\n> more\nreply"), [
      {
        type: "quote",
        children: [text("quoted "), { type: "italic", children: [text("x")] }, text("\nmore")],
      },
      text("reply"),
    ]);
    assert.deepEqual(fromDiscord("# Title\n- one\n- two\n3. three\n4. four"), [
      { type: "heading", level: 1, children: [text("Title")] },
      { type: "list", ordered: false, items: [[text("one")], [text("two")]] },
      { type: "list", ordered: true, start: 3, items: [[text("three")], [text("four")]] },
    ]);
    assert.deepEqual(fromDiscord(">>> all\nof it"), [{ type: "quote", children: [text("all\nof it")] }]);
  });

  test("line breaks between lines of text are kept", () => {
    assert.deepEqual(fromDiscord("one\n\ntwo"), [text("one\n\ntwo")]);
  });
});

describe("rich text → Discord markdown", () => {
  test("styles and blocks in Discord's markdown", () => {
    const rich: RichText = [
      { type: "bold", children: [text("b")] },
      text(" "),
      { type: "italic", children: [text("i")] },
      text(" "),
      { type: "underline", children: [text("u")] },
      text(" "),
      { type: "strike", children: [text("s")] },
      text(" "),
      { type: "spoiler", children: [text("p")] },
      text(" "),
      { type: "code", text: "a`b" },
      { type: "codeBlock", text: "x = 1", language: "py" },
      { type: "quote", children: [text("q1\nq2")] },
      { type: "heading", level: 2, children: [text("H")] },
      { type: "list", ordered: true, start: 2, items: [[text("a")], [text("b")]] },
      { type: "link", url: "https://example.org", children: [text("site")] },
      text(" "),
      { type: "mention", user: CAROL as RemoteUserId, name: "Carol" },
    ];
    assert.equal(
      richToDiscord(rich),
      "**b** *i* __u__ ~~s~~ ||p|| `` a`b ``\n```py\nx = 1\n```\n> q1\n> q2\n## H\n2. a\n3. b\n[site](https://example.org) <@123456789012345678>",
    );
    assert.deepEqual(mentionedUsers(rich), [CAROL]);
  });

  test("markdown in text is escaped, URLs are not, and nobody is pinged by @everyone", () => {
    assert.equal(escapeMarkdown("*a* _b_ `c` > d"), "\\*a\\* \\_b\\_ \\`c\\` > d");
    assert.equal(escapeMarkdown("> quote\n# head\n- item"), "\\> quote\n\\# head\n\\- item");
    assert.equal(escapeMarkdown("see https://x.org/a_b_c now"), "see https://x.org/a_b_c now");
    assert.equal(escapeMarkdown("@everyone"), "@\u200beveryone");
  });

  test("rich text survives the trip out to Discord and back", () => {
    const rich: RichText = [
      text("plain *stars* and "),
      { type: "bold", children: [text("bold")] },
      text(" "),
      { type: "mention", user: CAROL as RemoteUserId, name: "Carol" },
    ];
    assert.deepEqual(fromDiscord(richToDiscord(rich)), rich);
  });
});
