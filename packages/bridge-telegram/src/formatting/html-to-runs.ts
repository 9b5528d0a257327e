// HTML → runs: Matrix HTML as clients send it, and Telegram's own HTML (the relay template). Tags Telegram cannot
// show are dropped but their text is kept; structure (paragraphs, lists, headings, line breaks) becomes plain line
// breaks and bullets; a reply fallback (<mx-reply>) is left out, since replies travel as real replies.

import { Parser } from "htmlparser2";
import { type Mark, normalizeRuns, type Run } from "./rich-text.ts";

export interface HtmlReadOptions {
  /**
   * `collapse` for Matrix HTML, where line breaks in the source are layout and <br> breaks lines; `keep` for
   * Telegram's HTML, where a line break in the source is one in the message.
   */
  newlines: "collapse" | "keep";
  /** Rewrites a link (a Matrix pill of a Telegram user → a Telegram mention); null drops the link, keeping its text. */
  rewriteLink?: (href: string) => string | null;
}

const SAFE_LINK = /^(?:https?|mailto|tg):/i;
const BLOCKS = new Set([
  "p",
  "div",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "tr",
  "table",
  "hr",
]);
const SIMPLE: Record<string, Exclude<Mark["kind"], "pre" | "link">> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strike",
  strike: "strike",
  del: "strike",
  code: "code",
  blockquote: "blockquote",
  "tg-spoiler": "spoiler",
};

interface Open {
  name: string;
  mark: Mark | null;
  /** For lists: the number of the next item, or null for bullets. */
  counter?: { next: number | null };
}

export function htmlToRuns(html: string, options: HtmlReadOptions): Run[] {
  const runs: Run[] = [];
  const stack: Open[] = [];
  let skipping = 0;
  let output = "";

  const marks = (): Mark[] => stack.flatMap((o) => (o.mark === null ? [] : [o.mark]));
  const inPre = (): boolean => stack.some((o) => o.mark?.kind === "pre");
  const push = (text: string): void => {
    if (text === "") return;
    runs.push({ text, marks: marks() });
    output += text;
  };
  const atLineStart = (): boolean => output === "" || output.endsWith("\n");
  const lineStart = (): void => {
    if (!atLineStart()) push("\n");
  };

  const markFor = (name: string, attribs: Record<string, string>): Mark | null => {
    const simple = SIMPLE[name];
    if (name === "code" && inPre()) return null;
    if (simple !== undefined) return { kind: simple };
    if (name === "pre") return { kind: "pre" };
    if (/^h[1-6]$/.test(name)) return { kind: "bold" };
    if (name === "span" && ("data-mx-spoiler" in attribs || attribs["class"] === "tg-spoiler"))
      return { kind: "spoiler" };
    if (name === "a" && attribs["href"] !== undefined) {
      const href = options.rewriteLink ? options.rewriteLink(attribs["href"]) : attribs["href"];
      return href !== null && SAFE_LINK.test(href) ? { kind: "link", href } : null;
    }
    return null;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (skipping > 0 || name === "mx-reply") {
          if (name === "mx-reply" || skipping > 0) skipping++;
          return;
        }
        if (name === "br") return push("\n");
        if (name === "img") return push(attribs["alt"] ?? attribs["title"] ?? "");
        if (BLOCKS.has(name)) {
          if (name === "p" && output !== "" && !output.endsWith("\n\n")) {
            lineStart();
            push("\n");
          } else lineStart();
        }
        const open: Open = { name, mark: markFor(name, attribs) };
        // A code block's language is on the <code> inside it.
        const pre = stack.at(-1);
        if (name === "code" && pre?.mark?.kind === "pre" && pre.mark.language === undefined) {
          const language = /(?:^|\s)language-([A-Za-z0-9_+#.-]{1,40})/.exec(attribs["class"] ?? "")?.[1];
          if (language !== undefined) pre.mark = { kind: "pre", language };
        }
        if (name === "ul" || name === "ol") {
          const start = Number.parseInt(attribs["start"] ?? "1", 10);
          open.counter = { next: name === "ol" ? (Number.isFinite(start) ? start : 1) : null };
        }
        stack.push(open);
        if (name === "li") {
          const list = [...stack].reverse().find((o) => o.counter !== undefined)?.counter;
          if (list?.next === null || list === undefined) push("• ");
          else push(`${list.next++}. `);
        }
      },
      ontext(raw) {
        if (skipping > 0) return;
        let text = raw;
        if (options.newlines === "collapse" && !inPre()) {
          text = text.replace(/[\r\n\t]+/g, " ");
          if (atLineStart()) text = text.replace(/^ +/, "");
        }
        push(text);
      },
      onclosetag(name) {
        if (skipping > 0) {
          skipping--;
          return;
        }
        const index = stack.map((o) => o.name).lastIndexOf(name);
        if (index === -1) return;
        stack.length = index;
        if (BLOCKS.has(name)) lineStart();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return trimRuns(normalizeRuns(runs));
}

/** Leading and trailing white space of the whole text, which block elements leave behind. */
function trimRuns(runs: Run[]): Run[] {
  const out = runs.map((r) => ({ ...r }));
  while (out.length > 0 && out[0]!.text.trimStart() === "") out.shift();
  // Inside a code block only line breaks go: indentation there is content.
  const edge = (run: Run, start: boolean) =>
    run.marks.some((m) => m.kind === "pre") ? (start ? /^\n+/ : /\n+$/) : start ? /^\s+/ : /\s+$/;
  if (out.length > 0) out[0]!.text = out[0]!.text.replace(edge(out[0]!, true), "");
  while (out.length > 0 && out.at(-1)!.text.trimEnd() === "") out.pop();
  if (out.length > 0) out.at(-1)!.text = out.at(-1)!.text.replace(edge(out.at(-1)!, false), "");
  return out;
}
