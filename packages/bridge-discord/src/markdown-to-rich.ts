// Discord's markdown into the core's neutral rich text (rich-text.ts): code blocks, quotes (`> ` and `>>> `),
// headings, lists, bold, italic, underline, strike, spoilers, inline code, masked links, and Discord's tags —
// user mentions become mention nodes of the user's id; role and channel mentions, custom emoji and timestamps become
// the text a Discord user sees. Anything that does not close is taken as written, so no input is lost.

import type { RichNode, RichStyle, RichText } from "bridge-core";
import { userId } from "./discord-ids.ts";

/** Names for the ids inside Discord's tags, from the message and the guild; undefined when unknown. */
export interface TagNames {
  user(id: string): string | undefined;
  role(id: string): string | undefined;
  channel(id: string): string | undefined;
}

const CODE_BLOCK = /^```([A-Za-z0-9_+-]*)\n?([\s\S]*?)\n?```/;
const HEADING = /^(#{1,3}) (.+)$/;
const BULLET = /^\s*[-*] (.*)$/;
const NUMBERED = /^\s*(\d{1,9})\. (.*)$/;

export function discordToRich(markdown: string, names: TagNames): RichText {
  const out: RichText = [];
  const text = (value: string) => {
    const last = out.at(-1);
    if (last?.type === "text") last.text += value;
    else if (value !== "") out.push({ type: "text", text: value });
  };
  const lines = markdown.split("\n");
  let plainLines = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const rest = lines.slice(i).join("\n");
    const block = line.startsWith("```") ? CODE_BLOCK.exec(rest) : null;
    if (block !== null) {
      const language = block[1] ?? "";
      out.push({ type: "codeBlock", text: block[2] ?? "", ...(language !== "" && { language }) });
      // What follows the closing fence on its line is read as a line of its own.
      const after = rest.slice(block[0].length).replace(/^\n/, "");
      lines.splice(i, lines.length - i, ...(after === "" ? [] : after.split("\n")));
      i--;
      continue;
    }
    if (line.startsWith(">>> ")) {
      out.push({ type: "quote", children: discordToRich(rest.slice(4), names) });
      break;
    }
    if (line.startsWith("> ") || line === ">") {
      const quoted: string[] = [];
      for (; i < lines.length && ((lines[i] ?? "").startsWith("> ") || lines[i] === ">"); i++) {
        quoted.push((lines[i] ?? "").slice(2));
      }
      i--;
      out.push({ type: "quote", children: discordToRich(quoted.join("\n"), names) });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading !== null) {
      out.push({
        type: "heading",
        level: heading[1]?.length ?? 1,
        children: inline(heading[2] ?? "", names),
      });
      continue;
    }
    const list = listAt(lines, i, names);
    if (list !== null) {
      out.push(list.node);
      i = list.end - 1;
      continue;
    }
    // Lines of text are joined by line breaks; a block already stands on lines of its own.
    if (plainLines++ > 0 && !endsBlock(out)) text("\n");
    for (const node of inline(line, names)) {
      if (node.type === "text") text(node.text);
      else out.push(node);
    }
  }
  return out;
}

function endsBlock(out: RichText): boolean {
  const last = out.at(-1);
  return last !== undefined && ["codeBlock", "quote", "heading", "list"].includes(last.type);
}

/** A run of list lines from `start`, all bulleted or all numbered; null when the line is not a list item. */
function listAt(lines: string[], start: number, names: TagNames): { node: RichNode; end: number } | null {
  const numbered = NUMBERED.exec(lines[start] ?? "");
  const pattern = numbered !== null ? NUMBERED : BULLET;
  if (numbered === null && !BULLET.test(lines[start] ?? "")) return null;
  const items: RichNode[][] = [];
  let end = start;
  for (; end < lines.length; end++) {
    const match = pattern.exec(lines[end] ?? "");
    if (match === null) break;
    items.push(inline(match[numbered !== null ? 2 : 1] ?? "", names));
  }
  const first = Number(numbered?.[1] ?? 1);
  return {
    node: {
      type: "list",
      ordered: numbered !== null,
      ...(numbered !== null && first !== 1 && { start: first }),
      items,
    },
    end,
  };
}

const SPANS: [string, RichStyle][] = [
  ["**", "bold"],
  ["__", "underline"],
  ["~~", "strike"],
  ["||", "spoiler"],
  ["*", "italic"],
  ["_", "italic"],
];

/** Inline markdown of one line (or of a span's inside). */
export function inline(source: string, names: TagNames): RichText {
  const out: RichText = [];
  let plain = "";
  const flush = () => {
    if (plain !== "") out.push({ type: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < source.length) {
    const char = source[i] ?? "";
    if (char === "\\" && i + 1 < source.length && /[\\*_~|`>#\-[\]()<:]/.test(source[i + 1] ?? "")) {
      plain += source[i + 1];
      i += 2;
      continue;
    }
    const found = token(source, i, names);
    if (found === null) {
      plain += char;
      i++;
      continue;
    }
    flush();
    out.push(found.node);
    i = found.end;
  }
  flush();
  return out;
}

function token(source: string, at: number, names: TagNames): { node: RichNode; end: number } | null {
  const rest = source.slice(at);
  const code = /^(``?)([^`]|[^`][\s\S]*?[^`])\1(?!`)/.exec(rest);
  if (code !== null) {
    const inner = code[2] ?? "";
    const trimmed =
      code[1] === "``" && inner.startsWith(" ") && inner.endsWith(" ") ? inner.slice(1, -1) : inner;
    return { node: { type: "code", text: trimmed }, end: at + code[0].length };
  }
  if (rest.startsWith("<")) return tag(rest, at, names);
  if (rest.startsWith("[")) {
    const link = /^\[([^\]\n]+)\]\(<?(https?:\/\/[^\s)>]+)>?\)/.exec(rest);
    if (link !== null) {
      return {
        node: { type: "link", url: link[2] ?? "", children: inline(link[1] ?? "", names) },
        end: at + link[0].length,
      };
    }
    return null;
  }
  if (rest.startsWith("***")) {
    const close = rest.indexOf("***", 4);
    if (close > 3) {
      const inside: RichNode = { type: "italic", children: inline(rest.slice(3, close), names) };
      return { node: { type: "bold", children: [inside] }, end: at + close + 3 };
    }
  }
  for (const [mark, style] of SPANS) {
    if (!rest.startsWith(mark)) continue;
    if (mark.length === 1 && rest.startsWith(mark + mark)) continue;
    if (mark === "_" && /\w/.test(source[at - 1] ?? "")) return null;
    const close = closing(rest, mark);
    if (close === -1) continue;
    return {
      node: { type: style, children: inline(rest.slice(mark.length, close), names) },
      end: at + close + mark.length,
    };
  }
  return null;
}

/** Where `mark` closes the span opened at 0: not empty, not right after a space for `*`, not inside a word for `_`. */
function closing(rest: string, mark: string): number {
  let from = mark.length + 1;
  for (;;) {
    const close = rest.indexOf(mark, from);
    if (close === -1) return -1;
    const doubled = mark.length === 1 && (rest[close + 1] === mark || rest[close - 1] === mark);
    const wordAfter = mark === "_" && /\w/.test(rest[close + 1] ?? "");
    const spaceBefore = mark === "*" && /\s/.test(rest[close - 1] ?? "");
    if (!doubled && !wordAfter && !spaceBefore && rest[close - 1] !== "\\") return close;
    from = close + 1;
  }
}

/** Discord's `<…>` tags: mentions, custom emoji, timestamps, links kept from embedding. */
function tag(rest: string, at: number, names: TagNames): { node: RichNode; end: number } | null {
  const match = /^<(@!?|@&|#|a?:\w+:|t:)(\d+)(?::[tTdDfFR])?>/.exec(rest);
  if (match === null) {
    const link = /^<(https?:\/\/[^\s>]+)>/.exec(rest);
    return link === null ? null : { node: { type: "text", text: link[1] ?? "" }, end: at + link[0].length };
  }
  const [whole, kind = "", id = ""] = match;
  const end = at + whole.length;
  if (kind === "@" || kind === "@!") {
    const name = names.user(id);
    return { node: { type: "mention", user: userId(id), name: name ?? id }, end };
  }
  if (kind === "@&") return { node: { type: "text", text: `@${names.role(id) ?? "deleted-role"}` }, end };
  if (kind === "#")
    return { node: { type: "text", text: `#${names.channel(id) ?? "deleted-channel"}` }, end };
  if (kind === "t:") return { node: { type: "text", text: new Date(Number(id) * 1000).toISOString() }, end };
  return { node: { type: "text", text: kind.replace(/^a?/, "") }, end };
}
