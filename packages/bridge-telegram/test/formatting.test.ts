import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { entitiesToRuns } from "../src/formatting/entities-to-runs.ts";
import { htmlToRuns } from "../src/formatting/html-to-runs.ts";
import { runsToMatrixHtml } from "../src/formatting/matrix-html.ts";
import { RelayTemplate, relayedEmote } from "../src/formatting/relay.ts";
import { plainRuns } from "../src/formatting/rich-text.ts";
import { runsToTelegramHtml } from "../src/formatting/telegram-html.ts";

const toTelegram = (html: string) => runsToTelegramHtml(htmlToRuns(html, { newlines: "collapse" }));

describe("Telegram entities → Matrix HTML", () => {
  test("nested entities become nested tags; text is escaped", () => {
    const runs = entitiesToRuns("a <b> & c", [
      { type: "italic", offset: 0, length: 9 },
      { type: "bold", offset: 2, length: 3 },
    ]);
    assert.equal(runsToMatrixHtml(runs), "<i>a <b>&lt;b&gt;</b> &amp; c</i>");
  });

  test("entities overlapping the wrong way still give balanced tags", () => {
    const runs = entitiesToRuns("abcdef", [
      { type: "bold", offset: 0, length: 4 },
      { type: "italic", offset: 2, length: 4 },
    ]);
    assert.equal(runsToMatrixHtml(runs), "<b>ab<i>cd</i></b><i>ef</i>");
  });

  test("offsets count UTF-16 code units, as Telegram does", () => {
    const runs = entitiesToRuns("😀 bold", [{ type: "bold", offset: 3, length: 4 }]);
    assert.equal(runsToMatrixHtml(runs), "😀 <b>bold</b>");
  });

  test("links: safe ones kept, bare URLs given a scheme, others dropped", () => {
    const text = "site js mail example.org";
    const runs = entitiesToRuns(text, [
      { type: "text_link", offset: 0, length: 4, url: "https://a.example/?x=1&y=2" },
      { type: "text_link", offset: 5, length: 2, url: "javascript:alert(1)" },
      { type: "email", offset: 8, length: 4 },
      { type: "url", offset: 13, length: 11 },
    ]);
    assert.equal(
      runsToMatrixHtml(runs),
      '<a href="https://a.example/?x=1&amp;y=2">site</a> js <a href="mailto:mail">mail</a> ' +
        '<a href="https://example.org">example.org</a>',
    );
  });

  test("code blocks keep their language and line breaks; line breaks elsewhere become <br>", () => {
    const runs = entitiesToRuns("x\ny = 1\nz", [{ type: "pre", offset: 2, length: 5, language: "python" }]);
    assert.equal(runsToMatrixHtml(runs), 'x<br><pre><code class="language-python">y = 1</code></pre><br>z');
  });

  test("entities past the end of the text or of no length are ignored", () => {
    const runs = entitiesToRuns("abc", [
      { type: "bold", offset: 1, length: 10 },
      { type: "italic", offset: 5, length: 1 },
      { type: "underline", offset: 0, length: 0 },
    ]);
    assert.equal(runsToMatrixHtml(runs), "a<b>bc</b>");
  });
});

describe("Matrix HTML → Telegram HTML", () => {
  test("supported tags map to Telegram's; others keep only their text", () => {
    assert.equal(
      toTelegram("<strong>b</strong> <em>i</em> <del>s</del> <ins>u</ins> <font color='red'>red</font>"),
      "<b>b</b> <i>i</i> <s>s</s> <u>u</u> red",
    );
  });

  test("spoilers, quotes and code blocks with a language", () => {
    assert.equal(
      toTelegram(
        '<span data-mx-spoiler>x</span><blockquote>q</blockquote><pre><code class="language-ts">a &lt; b</code></pre>',
      ),
      '<tg-spoiler>x</tg-spoiler>\n<blockquote>q</blockquote>\n<pre><code class="language-ts">a &lt; b</code></pre>',
    );
  });

  test("nothing inside code: Telegram refuses formatting there", () => {
    assert.equal(toTelegram("<code><b>x</b></code>"), "<code>x</code>");
    assert.equal(toTelegram("<b><code>x</code></b>"), "<code>x</code>");
  });

  test("unsafe links lose the link and keep the text; attributes are escaped", () => {
    assert.equal(toTelegram('<a href="javascript:alert(1)">x</a>'), "x");
    assert.equal(
      toTelegram('<a href="https://e.org/?a=&quot;1&quot;&amp;b">x</a>'),
      '<a href="https://e.org/?a=&quot;1&quot;&amp;b">x</a>',
    );
  });

  test("paragraphs, lists and breaks become lines; source line breaks are layout", () => {
    assert.equal(toTelegram("<p>one\ntwo</p>\n<p>three</p>"), "one two\n\nthree");
    assert.equal(toTelegram("<ul><li>a</li><li>b</li></ul><ol start='3'><li>c</li></ol>"), "• a\n• b\n3. c");
    assert.equal(toTelegram("a<br>b<br/>c"), "a\nb\nc");
  });

  test("a reply fallback is left out", () => {
    assert.equal(toTelegram("<mx-reply><blockquote>quoted <b>x</b></blockquote></mx-reply>answer"), "answer");
  });

  test("text that looks like markup stays text", () => {
    assert.equal(toTelegram("&lt;b&gt;not bold&lt;/b&gt; &amp;"), "&lt;b&gt;not bold&lt;/b&gt; &amp;");
    assert.equal(runsToTelegramHtml(plainRuns("<b>x</b> & y")), "&lt;b&gt;x&lt;/b&gt; &amp; y");
  });
});

describe("relay template", () => {
  test("the name and the message go in as text, inheriting the template's formatting", () => {
    const template = new RelayTemplate("<b>{displayname}</b>: {message}");
    const runs = template.fill(
      "<i>Mallory</i> {message}",
      htmlToRuns("hi <i>there</i>", { newlines: "collapse" }),
    );
    assert.equal(runsToTelegramHtml(runs), "<b>&lt;i&gt;Mallory&lt;/i&gt; {message}</b>: hi <i>there</i>");
  });

  test("formatting of the template around the message nests outside the message's own", () => {
    const template = new RelayTemplate("{displayname}\n<i>{message}</i>");
    const runs = template.fill("A", htmlToRuns("x <b>y</b>", { newlines: "collapse" }));
    assert.equal(runsToTelegramHtml(runs), "A\n<i>x <b>y</b></i>");
  });

  test("emotes read as actions", () => {
    assert.equal(runsToTelegramHtml(relayedEmote("Alice", plainRuns("waves"))), "* Alice waves");
  });
});
