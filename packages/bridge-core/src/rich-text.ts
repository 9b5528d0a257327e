// The neutral form of a formatted message, between the core and a plugin, in both directions. The core turns Matrix
// HTML into it (mentions of ghosts and of Matrix users with a remote identity become remote user ids) and back; a
// plugin turns it into its network's formatting (IRC control codes, XEP-0393 styling, Telegram entities, Discord
// markdown) and its network's formatting into it. Neither side ever sees the other's markup.

import type { RemoteUserId } from "./ids.ts";

/** Inline spans that wrap other nodes. */
export type RichStyle = "bold" | "italic" | "underline" | "strike" | "spoiler";

export type RichNode =
  /** Plain text; may hold "\n" (a line break). */
  | { type: "text"; text: string }
  | { type: RichStyle; children: RichNode[] }
  /** Inline code: taken literally, no formatting inside. */
  | { type: "code"; text: string }
  /** A block of code on lines of its own. */
  | { type: "codeBlock"; text: string; language?: string }
  /** A link whose text may differ from its address (masked link); `children` empty means "show the address". */
  | { type: "link"; url: string; children: RichNode[] }
  /** A person on the network: a remote user, or a Matrix user's remote identity. `name` is what to show. */
  | { type: "mention"; user: RemoteUserId; name: string }
  /** A quoted block, on lines of its own. */
  | { type: "quote"; children: RichNode[] }
  /** A heading line, level 1 (largest) to 6. */
  | { type: "heading"; level: number; children: RichNode[] }
  /** A list, each item a run of nodes; `start` numbers an ordered list from other than 1. */
  | { type: "list"; ordered: boolean; start?: number; items: RichNode[][] };

/** A formatted message: a run of nodes. Block nodes (codeBlock, quote, heading, list) stand on lines of their own. */
export type RichText = RichNode[];

/** Rich text of plain text. */
export function richText(text: string): RichText {
  return text === "" ? [] : [{ type: "text", text }];
}

const BLOCKS = new Set<RichNode["type"]>(["codeBlock", "quote", "heading", "list"]);

/** Whether a node stands on lines of its own. */
export function isBlock(node: RichNode): boolean {
  return BLOCKS.has(node.type);
}

/**
 * The text a reader sees, without formatting: quotes as "> " lines, list items as "- " or "1. " lines, links as
 * their text followed by the address in brackets when the two differ, mentions as the name. For networks (or
 * places) without formatting, and for searching.
 */
export function plainText(rich: RichText): string {
  let out = "";
  const breakLine = () => {
    if (out !== "" && !out.endsWith("\n")) out += "\n";
  };
  for (const node of rich) {
    if (isBlock(node)) breakLine();
    out += plainNode(node);
    if (isBlock(node)) breakLine();
  }
  return out.endsWith("\n") && !endsWithTextBreak(rich) ? out.slice(0, -1) : out;
}

function endsWithTextBreak(rich: RichText): boolean {
  const last = rich.at(-1);
  return last?.type === "text" && last.text.endsWith("\n");
}

function plainNode(node: RichNode): string {
  switch (node.type) {
    case "text":
    case "code":
      return node.text;
    case "codeBlock":
      return node.text;
    case "mention":
      return node.name;
    case "link": {
      const label = plainText(node.children);
      return label === "" || label === node.url ? node.url : `${label} (${node.url})`;
    }
    case "quote":
      return plainText(node.children)
        .split("\n")
        .map((line) => `> ${line}`)
        .join("\n");
    case "heading":
      return plainText(node.children);
    case "list":
      return node.items
        .map((item, i) => `${node.ordered ? `${(node.start ?? 1) + i}.` : "-"} ${plainText(item)}`)
        .join("\n");
    default:
      return plainText(node.children);
  }
}

/**
 * How a relayed message is marked with its sender, from the admin's relay template (`bridge.relay_template`): the
 * text before and after each line. A plugin puts them on every line it sends (and on every piece of a line it has to
 * split), so that no line of a relayed message reads as someone else's.
 */
export interface RelayMarks {
  /** The Matrix user's display name in the room, single-line and length-capped. */
  displayName: string;
  before: string;
  after: string;
}

/**
 * Puts the relay marks on every line of `rich`: for plugins that send a relayed message as formatted text. Lines are
 * split at "\n" in text and at block boundaries; the marks are plain text.
 */
export function withRelayMarks(rich: RichText, marks: RelayMarks): RichText {
  const lines: RichText[] = [[]];
  const push = (node: RichNode) => lines.at(-1)?.push(node);
  for (const node of rich) {
    if (node.type === "text") {
      node.text.split("\n").forEach((part, i) => {
        if (i > 0) lines.push([]);
        if (part !== "") push({ type: "text", text: part });
      });
    } else if (isBlock(node)) {
      if ((lines.at(-1)?.length ?? 0) > 0) lines.push([]);
      for (const [i, line] of plainNode(node).split("\n").entries()) {
        if (i > 0) lines.push([]);
        push(node.type === "codeBlock" ? { type: "code", text: line } : { type: "text", text: line });
      }
      lines.push([]);
    } else push(node);
  }
  if (lines.length > 1 && lines.at(-1)?.length === 0) lines.pop();
  const out: RichText = [];
  lines.forEach((line, i) => {
    if (i > 0) out.push({ type: "text", text: "\n" });
    if (marks.before !== "") out.push({ type: "text", text: marks.before });
    out.push(...line);
    if (marks.after !== "") out.push({ type: "text", text: marks.after });
  });
  return out;
}
