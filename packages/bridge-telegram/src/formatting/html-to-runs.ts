// Telegram's HTML (parse_mode HTML) → runs: how the admin writes the relay template. Only the tags Telegram knows
// make marks; any other tag is dropped with its text kept. A line break in the source is one in the message.

import { Parser } from "htmlparser2";
import { type Mark, normalizeRuns, type Run } from "./rich-text.ts";

const SAFE_LINK = /^(?:https?|mailto|tg):/i;
const SIMPLE: Record<string, Exclude<Mark["kind"], "pre" | "link" | "mention">> = {
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

export function htmlToRuns(html: string): Run[] {
  const runs: Run[] = [];
  const stack: { name: string; mark: Mark | null }[] = [];
  const marks = (): Mark[] => stack.flatMap((o) => (o.mark === null ? [] : [o.mark]));
  const inPre = (): boolean => stack.some((o) => o.mark?.kind === "pre");

  const markFor = (name: string, attribs: Record<string, string>): Mark | null => {
    if (name === "pre") return { kind: "pre" };
    // A code block's language is on the <code> inside it.
    if (name === "code" && inPre()) return null;
    const simple = SIMPLE[name];
    if (simple !== undefined) return { kind: simple };
    if (name === "span" && attribs["class"] === "tg-spoiler") return { kind: "spoiler" };
    const href = attribs["href"];
    if (name === "a" && href !== undefined && SAFE_LINK.test(href)) return { kind: "link", href };
    return null;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === "br") {
          runs.push({ text: "\n", marks: marks() });
          return;
        }
        const pre = stack.at(-1)?.mark;
        if (name === "code" && pre?.kind === "pre" && pre.language === undefined) {
          const language = /(?:^|\s)language-([A-Za-z0-9_+#.-]{1,40})/.exec(attribs["class"] ?? "")?.[1];
          if (language !== undefined) stack.at(-1)!.mark = { kind: "pre", language };
        }
        stack.push({ name, mark: markFor(name, attribs) });
      },
      ontext(text) {
        runs.push({ text, marks: marks() });
      },
      onclosetag(name) {
        const index = stack.map((o) => o.name).lastIndexOf(name);
        if (index !== -1) stack.length = index;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return normalizeRuns(runs);
}
