// The core's rich text (a tree) ↔ Telegram's runs (flat text with overlapping marks). Outgoing, what Telegram has no
// entity for is written as text: headings as bold lines, lists as "• " and "1. " lines; a mention of a Telegram user
// becomes a mention by id, a mention of anyone else (a chat writing as itself) their name. Incoming, each run's marks
// become nested nodes, and a code block or a quote stands on lines of its own, as rich text wants.

import type { RichNode, RichText } from "bridge-core";
import { telegramUserId, userIdOf } from "../telegram-ids.ts";
import { type Mark, normalizeRuns, type Run, sameMark } from "./rich-text.ts";

const SAFE_LINK = /^(?:https?|mailto|tg):/i;

/** Rich text as runs, block nodes on lines of their own; white space around the whole is trimmed. */
export function richTextToRuns(rich: RichText): Run[] {
  const runs: Run[] = [];
  let text = "";
  let breakPending = false;
  const push = (piece: string, marks: readonly Mark[]) => {
    if (piece === "") return;
    if (breakPending && text !== "" && !text.endsWith("\n") && !piece.startsWith("\n")) {
      runs.push({ text: "\n", marks: [] });
      text += "\n";
    }
    breakPending = false;
    runs.push({ text: piece, marks });
    text += piece;
  };
  const block = (write: () => void) => {
    breakPending = true;
    write();
    breakPending = true;
  };
  const walk = (nodes: readonly RichNode[], marks: readonly Mark[]): void => {
    for (const node of nodes) {
      switch (node.type) {
        case "text":
          push(node.text, marks);
          break;
        case "code":
          push(node.text, [...marks, { kind: "code" }]);
          break;
        case "codeBlock": {
          const pre: Mark =
            node.language !== undefined ? { kind: "pre", language: node.language } : { kind: "pre" };
          block(() => push(node.text, [...marks, pre]));
          break;
        }
        case "link":
          if (!SAFE_LINK.test(node.url)) {
            if (node.children.length > 0) walk(node.children, marks);
            else push(node.url, marks);
          } else if (node.children.length === 0) push(node.url, [...marks, { kind: "link", href: node.url }]);
          else walk(node.children, [...marks, { kind: "link", href: node.url }]);
          break;
        case "mention": {
          const userId = userIdOf(node.user);
          push(node.name, userId !== null && userId > 0 ? [...marks, { kind: "mention", userId }] : marks);
          break;
        }
        case "quote":
          block(() => walk(node.children, [...marks, { kind: "blockquote" }]));
          break;
        case "heading":
          block(() => walk(node.children, [...marks, { kind: "bold" }]));
          break;
        case "list":
          block(() =>
            node.items.forEach((item, i) => {
              if (i > 0) push("\n", marks);
              push(node.ordered ? `${(node.start ?? 1) + i}. ` : "• ", marks);
              walk(item, marks);
            }),
          );
          break;
        default:
          walk(node.children, [...marks, { kind: node.type }]);
      }
    }
  };
  walk(rich, []);
  return trimRuns(normalizeRuns(runs));
}

/** Leading and trailing white space of the whole text; inside a code block only line breaks go. */
function trimRuns(runs: Run[]): Run[] {
  const out = runs.map((r) => ({ ...r }));
  const edge = (run: Run, start: boolean) =>
    run.marks.some((m) => m.kind === "pre") ? (start ? /^\n+/ : /\n+$/) : start ? /^\s+/ : /\s+$/;
  while (out.length > 0 && out[0]!.text.replace(edge(out[0]!, true), "") === "") out.shift();
  if (out.length > 0) out[0]!.text = out[0]!.text.replace(edge(out[0]!, true), "");
  while (out.length > 0 && out.at(-1)!.text.replace(edge(out.at(-1)!, false), "") === "") out.pop();
  if (out.length > 0) out.at(-1)!.text = out.at(-1)!.text.replace(edge(out.at(-1)!, false), "");
  return out;
}

interface Frame {
  mark: Mark | null;
  children: RichNode[];
}

/** Runs as rich text: marks shared by neighbouring runs become one node around them. */
export function runsToRichText(runs: readonly Run[]): RichText {
  const root: Frame = { mark: null, children: [] };
  const open: Frame[] = [root];
  const close = () => {
    const frame = open.pop()!;
    open.at(-1)!.children.push(...nodeOf(frame));
  };
  for (const run of normalizeRuns(runs)) {
    let common = 0;
    while (
      common + 1 < open.length &&
      common < run.marks.length &&
      sameMark(open[common + 1]!.mark!, run.marks[common]!)
    )
      common++;
    while (open.length > common + 1) close();
    for (const mark of run.marks.slice(common)) open.push({ mark, children: [] });
    open.at(-1)!.children.push({ type: "text", text: run.text });
  }
  while (open.length > 1) close();
  return onOwnLines(root.children);
}

function nodeOf({ mark, children }: Frame): RichNode[] {
  if (mark === null) return children;
  switch (mark.kind) {
    case "code":
      // Telegram shows nothing formatted inside code, so what is inside is its text.
      return [{ type: "code", text: plainOf(children) }];
    case "pre":
      return [
        {
          type: "codeBlock",
          text: plainOf(children),
          ...(mark.language !== undefined && { language: mark.language }),
        },
      ];
    case "link":
      return [{ type: "link", url: mark.href, children }];
    case "mention":
      return [{ type: "mention", user: telegramUserId(mark.userId), name: plainOf(children) }];
    case "blockquote":
      return [{ type: "quote", children: onOwnLines(children) }];
    default:
      return [{ type: mark.kind, children }];
  }
}

/** The characters of nodes made from runs (text, styles, links, mentions, code), without any formatting. */
function plainOf(nodes: readonly RichNode[]): string {
  return nodes
    .map((n) => {
      if (n.type === "text" || n.type === "code" || n.type === "codeBlock") return n.text;
      if (n.type === "mention") return n.name;
      return n.type === "list" ? "" : plainOf(n.children);
    })
    .join("");
}

/** Drops the line break on either side of a block node: rich text puts blocks on lines of their own. */
function onOwnLines(nodes: RichNode[]): RichNode[] {
  const out = nodes.map((n) => (n.type === "text" ? { ...n } : n));
  out.forEach((node, i) => {
    if (node.type !== "codeBlock" && node.type !== "quote") return;
    const before = out[i - 1];
    if (before?.type === "text") before.text = before.text.replace(/\n$/, "");
    const after = out[i + 1];
    if (after?.type === "text") after.text = after.text.replace(/^\n/, "");
  });
  return out.filter((n) => n.type !== "text" || n.text !== "");
}
