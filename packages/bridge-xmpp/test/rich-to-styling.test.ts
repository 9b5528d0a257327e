import assert from "node:assert/strict";
import { test } from "node:test";
import { type RichNode, remoteUserId } from "bridge-core";
import { richToStyling } from "../src/rich-to-styling.ts";
import { parseStyling } from "../src/styling.ts";

const text = (t: string): RichNode => ({ type: "text", text: t });

test("spans become XEP-0393 directives; XMPP has no underline or spoiler", () => {
  assert.equal(
    richToStyling([
      { type: "bold", children: [text("bold")] },
      text(" "),
      { type: "italic", children: [text("it")] },
      text(" "),
      { type: "strike", children: [text("gone")] },
      text(" "),
      { type: "code", text: "a<b" },
      text(" "),
      { type: "underline", children: [text("under")] },
      text(" "),
      { type: "spoiler", children: [text("secret")] },
    ]),
    "*bold* _it_ ~gone~ `a<b` under secret",
  );
  assert.equal(
    richToStyling([text("a"), { type: "bold", children: [text(" spaced ")] }, text("b")]),
    "a *spaced* b",
    "spaces move outside the directives",
  );
  assert.equal(richToStyling([{ type: "bold", children: [] }, text("empty")]), "empty");
  assert.equal(
    richToStyling([{ type: "bold", children: [text("one\ntwo")] }]),
    "*one*\n*two*",
    "a span cannot cross a line, so each line gets its own",
  );
});

test("blocks: line breaks, quotes, code blocks, headings and lists", () => {
  assert.equal(richToStyling([text("one\ntwo")]), "one\ntwo");
  assert.equal(
    richToStyling([
      { type: "quote", children: [text("quoted "), { type: "bold", children: [text("line")] }] },
      text("answer"),
    ]),
    "> quoted *line*\nanswer",
  );
  assert.equal(
    richToStyling([{ type: "codeBlock", text: "let x = 1;\n*not bold*\n", language: "js" }]),
    "```\nlet x = 1;\n*not bold*\n```",
  );
  assert.equal(
    richToStyling([{ type: "heading", level: 1, children: [text("Title")] }, text("body")]),
    "Title\nbody",
  );
  assert.equal(
    richToStyling([{ type: "list", ordered: false, items: [[text("a")], [text("b")]] }]),
    "• a\n• b",
  );
  assert.equal(
    richToStyling([{ type: "list", ordered: true, start: 3, items: [[text("c")], [text("d")]] }]),
    "3. c\n4. d",
  );
  assert.equal(
    richToStyling([text("before"), { type: "quote", children: [text("a\nb")] }, text("\nafter")]),
    "before\n> a\n> b\nafter",
    "one line break between a block and what is around it",
  );
});

test("links keep their address; mentions are the name the caller gives", () => {
  const link = (url: string, label: string): RichNode => ({
    type: "link",
    url,
    children: label ? [text(label)] : [],
  });
  assert.equal(richToStyling([link("https://example.org", "site")]), "site <https://example.org>");
  assert.equal(richToStyling([link("https://example.org", "https://example.org")]), "https://example.org");
  assert.equal(richToStyling([link("https://example.org", "")]), "https://example.org");
  assert.equal(richToStyling([link("mailto:a@example.org", "a@example.org")]), "a@example.org");
  const carol: RichNode = {
    type: "mention",
    user: remoteUserId("room@muc.example.org/carol"),
    name: "Carol",
  };
  assert.equal(richToStyling([text("hi "), carol]), "hi Carol");
  assert.equal(
    richToStyling([text("hi "), carol], (mention) => mention.user.split("/")[1]!),
    "hi carol",
  );
});

test("simple styling survives the trip through rich text and back", () => {
  for (const body of ["*bold* and _it_", "~gone~ `code`", "> quote\nreply", "```\ncode *x*\n```\nafter"]) {
    assert.equal(richToStyling(parseStyling(body)), body);
  }
});
