import assert from "node:assert/strict";
import { test } from "node:test";
import { htmlToStyling } from "../src/html-to-styling.ts";
import { stylingToHtml } from "../src/styling.ts";

test("Matrix spans become XEP-0393 directives", () => {
  assert.equal(
    htmlToStyling("<strong>bold</strong> <em>it</em> <del>gone</del> <code>a&lt;b</code>"),
    "*bold* _it_ ~gone~ `a<b`",
  );
  assert.equal(htmlToStyling("a<b> spaced </b>b"), "a *spaced* b", "spaces move outside the directives");
  assert.equal(htmlToStyling("<b></b>empty"), "empty");
});

test("blocks: paragraphs, breaks, quotes, code blocks and lists", () => {
  assert.equal(htmlToStyling("<p>one</p>\n<p>two<br>three</p>"), "one\ntwo\nthree");
  assert.equal(
    htmlToStyling("<blockquote><p>quoted <b>line</b></p></blockquote><p>answer</p>"),
    "> quoted *line*\nanswer",
  );
  assert.equal(
    htmlToStyling("<pre><code>let x = 1;\n*not bold*\n</code></pre>"),
    "```\nlet x = 1;\n*not bold*\n```",
  );
  assert.equal(htmlToStyling("<ul><li>a</li><li>b</li></ul>"), "• a\n• b");
});

test("links keep their address, pills are names, the reply fallback is dropped", () => {
  assert.equal(htmlToStyling('<a href="https://example.org">site</a>'), "site <https://example.org>");
  assert.equal(htmlToStyling('<a href="https://example.org">https://example.org</a>'), "https://example.org");
  assert.equal(htmlToStyling('hi <a href="https://matrix.to/#/@carol:example.org">Carol</a>'), "hi Carol");
  assert.equal(htmlToStyling("<mx-reply><blockquote>old</blockquote></mx-reply>new"), "new");
  assert.equal(htmlToStyling("<script>alert(1)</script>safe &amp; sound"), "safe & sound");
});

test("simple styling survives the trip to Matrix and back", () => {
  for (const text of ["*bold* and _it_", "~gone~ `code`", "> quote\nreply"]) {
    assert.equal(htmlToStyling(stylingToHtml(text)!), text);
  }
});
