import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type RichText, remoteUserId } from "bridge-core";
import { entitiesToRuns } from "../src/formatting/entities-to-runs.ts";
import { emoteSignature, RelayTemplate } from "../src/formatting/relay.ts";
import { plainRuns } from "../src/formatting/rich-text.ts";
import { richTextToRuns, runsToRichText } from "../src/formatting/rich-text-runs.ts";
import { runsToTelegramHtml } from "../src/formatting/telegram-html.ts";

const fromTelegram = (text: string, entities: Parameters<typeof entitiesToRuns>[1]) =>
  runsToRichText(entitiesToRuns(text, entities));
const toTelegram = (rich: RichText) => runsToTelegramHtml(richTextToRuns(rich));
const text = (t: string) => ({ type: "text", text: t }) as const;

describe("Telegram entities → rich text", () => {
  test("nested entities become nested nodes; text stays text", () => {
    assert.deepEqual(
      fromTelegram("a <b> & c", [
        { type: "italic", offset: 0, length: 9 },
        { type: "bold", offset: 2, length: 3 },
      ]),
      [{ type: "italic", children: [text("a "), { type: "bold", children: [text("<b>")] }, text(" & c")] }],
    );
  });

  test("entities overlapping the wrong way still give a well-formed tree", () => {
    assert.deepEqual(
      fromTelegram("abcdef", [
        { type: "bold", offset: 0, length: 4 },
        { type: "italic", offset: 2, length: 4 },
      ]),
      [
        { type: "bold", children: [text("ab"), { type: "italic", children: [text("cd")] }] },
        { type: "italic", children: [text("ef")] },
      ],
    );
  });

  test("offsets count UTF-16 code units, as Telegram does", () => {
    assert.deepEqual(fromTelegram("😀 bold", [{ type: "bold", offset: 3, length: 4 }]), [
      text("😀 "),
      { type: "bold", children: [text("bold")] },
    ]);
  });

  test("links: safe ones kept, bare URLs given a scheme, @usernames to their page, others dropped", () => {
    assert.deepEqual(
      fromTelegram("site js mail example.org @carol_x", [
        { type: "text_link", offset: 0, length: 4, url: "https://a.example/?x=1&y=2" },
        { type: "text_link", offset: 5, length: 2, url: "javascript:alert(1)" },
        { type: "email", offset: 8, length: 4 },
        { type: "url", offset: 13, length: 11 },
        { type: "mention", offset: 25, length: 8 },
      ]),
      [
        { type: "link", url: "https://a.example/?x=1&y=2", children: [text("site")] },
        text(" js "),
        { type: "link", url: "mailto:mail", children: [text("mail")] },
        text(" "),
        { type: "link", url: "https://example.org", children: [text("example.org")] },
        text(" "),
        { type: "link", url: "https://t.me/carol_x", children: [text("@carol_x")] },
      ],
    );
  });

  test("a mention of a user without a username names the user by id", () => {
    assert.deepEqual(
      fromTelegram("hi Dave!", [
        { type: "text_mention", offset: 3, length: 4, user: { id: 8, is_bot: false, first_name: "Dave" } },
      ]),
      [text("hi "), { type: "mention", user: remoteUserId("8"), name: "Dave" }, text("!")],
    );
  });

  test("code blocks keep their language and stand on lines of their own; quotes too", () => {
    assert.deepEqual(
      fromTelegram("x\ny = 1\nz\nq", [
        { type: "pre", offset: 2, length: 5, language: "python" },
        { type: "blockquote", offset: 10, length: 1 },
      ]),
      [
        text("x"),
        { type: "codeBlock", text: "y = 1", language: "python" },
        text("z"),
        { type: "quote", children: [text("q")] },
      ],
    );
  });

  test("formatting inside code is dropped: code is taken literally", () => {
    assert.deepEqual(
      fromTelegram("abc", [
        { type: "code", offset: 0, length: 3 },
        { type: "bold", offset: 1, length: 1 },
      ]),
      [{ type: "code", text: "abc" }],
    );
  });

  test("entities past the end of the text or of no length are ignored", () => {
    assert.deepEqual(
      fromTelegram("abc", [
        { type: "bold", offset: 1, length: 10 },
        { type: "italic", offset: 5, length: 1 },
        { type: "underline", offset: 0, length: 0 },
      ]),
      [text("a"), { type: "bold", children: [text("bc")] }],
    );
  });
});

describe("rich text → Telegram HTML", () => {
  test("styles map to Telegram's tags", () => {
    assert.equal(
      toTelegram([
        { type: "bold", children: [text("b")] },
        text(" "),
        { type: "italic", children: [text("i")] },
        text(" "),
        { type: "strike", children: [text("s")] },
        text(" "),
        { type: "underline", children: [text("u")] },
        text(" "),
        { type: "spoiler", children: [text("x")] },
      ]),
      "<b>b</b> <i>i</i> <s>s</s> <u>u</u> <tg-spoiler>x</tg-spoiler>",
    );
  });

  test("quotes and code blocks with a language, on lines of their own", () => {
    assert.equal(
      toTelegram([
        text("see"),
        { type: "quote", children: [text("q")] },
        { type: "codeBlock", text: "a < b", language: "ts" },
        text("after"),
      ]),
      'see\n<blockquote>q</blockquote>\n<pre><code class="language-ts">a &lt; b</code></pre>\nafter',
    );
  });

  test("nothing inside code: Telegram refuses formatting there", () => {
    assert.equal(toTelegram([{ type: "bold", children: [{ type: "code", text: "x" }] }]), "<code>x</code>");
  });

  test("unsafe links lose the link and keep the text; addresses are escaped; a bare link shows its address", () => {
    assert.equal(toTelegram([{ type: "link", url: "javascript:alert(1)", children: [text("x")] }]), "x");
    assert.equal(
      toTelegram([{ type: "link", url: 'https://e.org/?a="1"&b', children: [text("x")] }]),
      '<a href="https://e.org/?a=&quot;1&quot;&amp;b">x</a>',
    );
    assert.equal(
      toTelegram([{ type: "link", url: "https://e.org/", children: [] }]),
      '<a href="https://e.org/">https://e.org/</a>',
    );
  });

  test("lists and headings become lines of text", () => {
    assert.equal(
      toTelegram([
        { type: "heading", level: 1, children: [text("Title")] },
        { type: "list", ordered: false, items: [[text("a")], [text("b")]] },
        { type: "list", ordered: true, start: 3, items: [[text("c")]] },
      ]),
      "<b>Title</b>\n• a\n• b\n3. c",
    );
  });

  test("a mention of a Telegram user becomes a mention by id; of anyone else, their name", () => {
    assert.equal(
      toTelegram([
        { type: "mention", user: remoteUserId("42"), name: "Carol <3" },
        text(" "),
        { type: "mention", user: remoteUserId("-1005"), name: "The group" },
      ]),
      '<a href="tg://user?id=42">Carol &lt;3</a> The group',
    );
  });

  test("text that looks like markup stays text", () => {
    assert.equal(toTelegram([text("<b>x</b> & y")]), "&lt;b&gt;x&lt;/b&gt; &amp; y");
  });
});

describe("relay template", () => {
  test("the name and the message go in as text, inheriting the template's formatting", () => {
    const template = new RelayTemplate("<b>{displayname}</b>: {message}");
    const runs = template.fill(
      "<i>Mallory</i> {message}",
      richTextToRuns([text("hi "), { type: "italic", children: [text("there")] }]),
    );
    assert.equal(runsToTelegramHtml(runs), "<b>&lt;i&gt;Mallory&lt;/i&gt; {message}</b>: hi <i>there</i>");
  });

  test("formatting of the template around the message nests outside the message's own", () => {
    const template = new RelayTemplate("{displayname}\n<i>{message}</i>");
    const runs = template.fill("A", richTextToRuns([text("x "), { type: "bold", children: [text("y")] }]));
    assert.equal(runsToTelegramHtml(runs), "A\n<i>x <b>y</b></i>");
  });

  test("emotes read as actions", () => {
    assert.equal(runsToTelegramHtml(emoteSignature("Alice")(plainRuns("waves"))), "* Alice waves");
  });
});
