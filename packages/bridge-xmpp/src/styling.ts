// XEP-0393 message styling → rich text. XMPP bodies are plain text in which `*strong*`, `_emphasis_`, `~strike~`,
// `` `code` ``, ``` blocks and `> quotes` are styled by the reading client; the core wants them as the neutral rich
// text (rich-text.ts in bridge-core), from which it writes Matrix HTML.

import type { RichNode, RichText } from "bridge-core";

const SPANS = { "*": "bold", _: "italic", "~": "strike", "`": "code" } as const;
type Directive = keyof typeof SPANS;

function isDirective(ch: string | undefined): ch is Directive {
  return ch !== undefined && Object.hasOwn(SPANS, ch);
}

/** Appends text, merged into the text node before it so that plain runs stay one node. */
function pushText(out: RichNode[], text: string): void {
  if (text === "") return;
  const last = out.at(-1);
  if (last?.type === "text") last.text += text;
  else out.push({ type: "text", text });
}

/**
 * One line's spans. A span opens at the start or after whitespace (or another directive), before a non-space, and
 * closes at the next same directive on the line that follows a non-space; one that never closes stays text.
 */
function styleSpans(line: string): RichNode[] {
  const out: RichNode[] = [];
  let plain = "";
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const opens =
      isDirective(ch) &&
      (i === 0 || /\s/.test(line[i - 1]!) || isDirective(line[i - 1])) &&
      i + 1 < line.length &&
      !/\s/.test(line[i + 1]!);
    const close = opens ? closingIndex(line, ch, i) : -1;
    if (close === -1) {
      plain += ch;
      continue;
    }
    pushText(out, plain);
    plain = "";
    const inner = line.slice(i + 1, close);
    const style = SPANS[ch as Directive];
    // Code is verbatim: no styling inside it.
    out.push(style === "code" ? { type: "code", text: inner } : { type: style, children: styleSpans(inner) });
    i = close;
  }
  pushText(out, plain);
  return out;
}

function closingIndex(line: string, directive: string, open: number): number {
  for (let j = open + 2; j < line.length; j++)
    if (line[j] === directive && !/\s/.test(line[j - 1]!)) return j;
  return -1;
}

/** The rich text of a styled body; a body without styling is one text node, as written. */
export function parseStyling(body: string): RichText {
  const lines = body.split("\n");
  const out: RichNode[] = [];
  // Plain lines are joined by line breaks; blocks stand on lines of their own and need none around them.
  let afterLine = false;
  const pushLine = (nodes: RichNode[]) => {
    if (afterLine) pushText(out, "\n");
    for (const node of nodes) node.type === "text" ? pushText(out, node.text) : out.push(node);
    afterLine = true;
  };
  const pushBlock = (node: RichNode) => {
    out.push(node);
    afterLine = false;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(">")) {
      const quoted: string[] = [];
      for (; i < lines.length && lines[i]!.startsWith(">"); i++)
        quoted.push(lines[i]!.slice(1).replace(/^ /, ""));
      i--;
      pushBlock({ type: "quote", children: parseStyling(quoted.join("\n")) });
      continue;
    }
    if (line.startsWith("```")) {
      const end = lines.findIndex((l, j) => j > i && l === "```");
      const stop = end === -1 ? lines.length : end;
      const language = line.slice(3).trim();
      pushBlock({
        type: "codeBlock",
        text: lines.slice(i + 1, stop).join("\n"),
        ...(/^[\w+#.-]+$/.test(language) && { language }),
      });
      i = stop;
      continue;
    }
    pushLine(styleSpans(line));
  }
  return out;
}
