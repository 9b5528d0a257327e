import assert from "node:assert/strict";
import { test } from "node:test";
import { textContent } from "../src/inbound.ts";
import { parseStyling } from "../src/styling.ts";

const text = (t: string) => ({ type: "text", text: t });

test("XEP-0393 spans become rich text", () => {
  assert.deepEqual(parseStyling("*bold* _it_ ~gone~ `a*b*`"), [
    { type: "bold", children: [text("bold")] },
    text(" "),
    { type: "italic", children: [text("it")] },
    text(" "),
    { type: "strike", children: [text("gone")] },
    text(" "),
    { type: "code", text: "a*b*" },
  ]);
  assert.deepEqual(parseStyling("*_both_*"), [
    { type: "bold", children: [{ type: "italic", children: [text("both")] }] },
  ]);
});

test("plain text stays one text node as written, and directives that do not pair stay text", () => {
  assert.deepEqual(parseStyling("hello world"), [text("hello world")]);
  assert.deepEqual(parseStyling(""), []);
  assert.deepEqual(
    parseStyling("2 * 3 * 4"),
    [text("2 * 3 * 4")],
    "a directive before a space does not open",
  );
  assert.deepEqual(parseStyling("snake_case_name"), [text("snake_case_name")], "inside a word does not open");
  assert.deepEqual(parseStyling("*open\nclose*"), [text("*open\nclose*")], "spans end with their line");
  assert.deepEqual(parseStyling("**"), [text("**")]);
});

test("markup in the text is only text", () => {
  assert.deepEqual(parseStyling('*<script>* & "q"'), [
    { type: "bold", children: [text("<script>")] },
    text(' & "q"'),
  ]);
});

test("quotes and preformatted blocks stand on lines of their own", () => {
  assert.deepEqual(parseStyling("> quoted *line*\nreply"), [
    { type: "quote", children: [text("quoted "), { type: "bold", children: [text("line")] }] },
    text("reply"),
  ]);
  assert.deepEqual(parseStyling("> a\n> b"), [{ type: "quote", children: [text("a\nb")] }]);
  assert.deepEqual(parseStyling("```\n*not* styled <\n```\nafter"), [
    { type: "codeBlock", text: "*not* styled <" },
    text("after"),
  ]);
  assert.deepEqual(parseStyling("```ts\nlet x;"), [{ type: "codeBlock", text: "let x;", language: "ts" }]);
  assert.deepEqual(parseStyling("a\n*b*"), [text("a\n"), { type: "bold", children: [text("b")] }]);
});

test("/me makes an emote; a shared file's body (its link) is no caption", () => {
  assert.deepEqual(textContent("/me waves *hi*"), {
    kind: "emote",
    text: [text("waves "), { type: "bold", children: [text("hi")] }],
  });
  assert.deepEqual(textContent("plain"), { kind: "text", text: [text("plain")] });
  assert.deepEqual(textContent("https://example.org/a.png", true), { kind: "text", text: [] });
});
