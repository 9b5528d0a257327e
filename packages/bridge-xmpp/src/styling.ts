// XEP-0393 message styling → Matrix HTML. XMPP bodies are plain text in which `*strong*`, `_emphasis_`, `~strike~`,
// `` `code` ``, ``` blocks and `> quotes` are styled by the reading client; Matrix wants them as HTML next to the
// plain body. The body itself stays as written, so nothing is lost for clients that show only the text.

const SPANS: Record<string, string> = { "*": "strong", _: "em", "~": "del", "`": "code" };

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** One line's spans. A span opens at the start or after whitespace, and closes at the next same directive on the line that follows a non-space. */
function styleSpans(line: string): string {
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const tag = SPANS[ch];
    const opens =
      tag !== undefined &&
      (i === 0 || /\s/.test(line[i - 1]!) || SPANS[line[i - 1]!] !== undefined) &&
      i + 1 < line.length &&
      !/\s/.test(line[i + 1]!);
    if (opens) {
      let close = -1;
      for (let j = i + 2; j < line.length; j++) {
        if (line[j] === ch && !/\s/.test(line[j - 1]!)) {
          close = j;
          break;
        }
      }
      if (close !== -1) {
        const inner = line.slice(i + 1, close);
        // Code is verbatim: no styling inside it.
        out += `<${tag}>${ch === "`" ? escapeHtml(inner) : styleSpans(inner)}</${tag}>`;
        i = close;
        continue;
      }
    }
    out += escapeHtml(ch);
  }
  return out;
}

/** Matrix HTML for a styled body, or undefined when the body uses no styling (plain text needs no HTML). */
export function stylingToHtml(body: string): string | undefined {
  const lines = body.split("\n");
  const blocks: string[] = [];
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length > 0)
      blocks.push(
        `<blockquote>${stylingToHtml(quote.join("\n")) ?? escapeHtml(quote.join("\n")).replace(/\n/g, "<br>")}</blockquote>`,
      );
    quote = [];
  };
  let styled = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(">")) {
      quote.push(line.slice(1).replace(/^ /, ""));
      styled = true;
      continue;
    }
    flushQuote();
    if (line.startsWith("```")) {
      const end = lines.findIndex((l, j) => j > i && l === "```");
      const stop = end === -1 ? lines.length : end;
      blocks.push(`<pre><code>${escapeHtml(lines.slice(i + 1, stop).join("\n"))}</code></pre>`);
      styled = true;
      i = stop;
      continue;
    }
    const html = styleSpans(line);
    if (html !== escapeHtml(line)) styled = true;
    blocks.push(html);
  }
  flushQuote();
  if (!styled) return undefined;
  // Block elements end their own line; plain lines are joined with breaks.
  let out = "";
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    const isBlock = block.startsWith("<pre>") || block.startsWith("<blockquote>");
    const prevBlock =
      i > 0 && (blocks[i - 1]!.startsWith("<pre>") || blocks[i - 1]!.startsWith("<blockquote>"));
    if (i > 0 && !isBlock && !prevBlock) out += "<br>";
    out += block;
  }
  return out;
}
