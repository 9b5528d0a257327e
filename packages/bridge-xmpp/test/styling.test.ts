import assert from "node:assert/strict";
import { test } from "node:test";
import { textContent } from "../src/inbound.ts";
import { stylingToHtml } from "../src/styling.ts";

test("XEP-0393 spans become HTML", () => {
  assert.equal(
    stylingToHtml("*bold* _it_ ~gone~ `a*b*`"),
    "<strong>bold</strong> <em>it</em> <del>gone</del> <code>a*b*</code>",
  );
  assert.equal(stylingToHtml("*_both_*"), "<strong><em>both</em></strong>");
});

test("plain text needs no HTML, and directives that do not pair stay text", () => {
  assert.equal(stylingToHtml("hello world"), undefined);
  assert.equal(stylingToHtml("2 * 3 * 4"), undefined, "a directive before a space does not open");
  assert.equal(stylingToHtml("snake_case_name"), undefined, "a directive inside a word does not open");
  assert.equal(stylingToHtml("*open\nclose*"), undefined, "spans end with their line");
  assert.equal(stylingToHtml("**"), undefined);
});

test("markup in the text is escaped, never passed through", () => {
  assert.equal(stylingToHtml('*<script>* & "q"'), "<strong>&lt;script&gt;</strong> &amp; &quot;q&quot;");
});

test("quotes and preformatted blocks", () => {
  assert.equal(
    stylingToHtml("> quoted *line*\nreply"),
    "<blockquote>quoted <strong>line</strong></blockquote>reply",
  );
  assert.equal(stylingToHtml("> a\n> b"), "<blockquote>a<br>b</blockquote>");
  assert.equal(
    stylingToHtml("```\n*not* styled <\n```\nafter"),
    "<pre><code>*not* styled &lt;</code></pre>after",
  );
  assert.equal(stylingToHtml("a\n*b*"), "a<br><strong>b</strong>");
});

test("/me makes an emote, and the body is kept as written", () => {
  assert.deepEqual(textContent("/me waves *hi*"), {
    body: "waves *hi*",
    msgtype: "m.emote",
    html: "waves <strong>hi</strong>",
  });
  assert.deepEqual(textContent("plain"), { body: "plain", msgtype: "m.text" });
});
