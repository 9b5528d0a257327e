// Rich text → a Matrix message's `body` and `formatted_body`. Every character of text and every attribute value is
// escaped, and only the elements written here reach Matrix: nothing a remote user writes can add markup, and links
// go only to web and mail addresses.

import type { RemoteUserId, UserId } from "../ids.ts";
import { plainText, type RichNode, type RichStyle, type RichText } from "../rich-text.ts";
import { userPermalink } from "./pills.ts";

const LINKABLE = /^(?:https?|mailto):/i;
const LANGUAGE = /^[A-Za-z0-9_+#.-]{1,40}$/;
/** Nodes nested deeper are reduced to their text, so that hostile nesting cannot exhaust the stack. */
const MAX_DEPTH = 100;

const STYLE_TAGS: Record<RichStyle, [open: string, close: string]> = {
  bold: ["<b>", "</b>"],
  italic: ["<i>", "</i>"],
  underline: ["<u>", "</u>"],
  strike: ["<del>", "</del>"],
  spoiler: ["<span data-mx-spoiler>", "</span>"],
};

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c] ?? c);
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Text with its line breaks as <br>, since HTML takes line breaks in text for spaces. */
function textHtml(text: string): string {
  return escapeText(text).replace(/\r\n|[\r\n]/g, "<br>");
}

/**
 * The Matrix form of rich text: `body` is its plain text (plainText), `html` its `formatted_body`, absent when there
 * is nothing but text. `pillOf` names the Matrix user each mentioned remote user is (their ghost, or the Matrix user
 * behind a remote identity), for the mention pill.
 */
export function toMatrixHtml(
  rich: RichText,
  pillOf: (user: RemoteUserId) => UserId,
): { body: string; html?: string } {
  const capped = rich.map((node) => capDepth(node, 1));
  const body = plainText(capped);
  if (capped.every((node) => node.type === "text")) return { body };
  return { body, html: new HtmlWriter(pillOf).nodes(capped).toWellFormed() };
}

class HtmlWriter {
  private readonly pillOf: (user: RemoteUserId) => UserId;

  constructor(pillOf: (user: RemoteUserId) => UserId) {
    this.pillOf = pillOf;
  }

  nodes(rich: RichText): string {
    return rich.map((node) => this.node(node)).join("");
  }

  private node(node: RichNode): string {
    switch (node.type) {
      case "text":
        return textHtml(node.text);
      case "code":
        return `<code>${textHtml(node.text)}</code>`;
      case "codeBlock": {
        const language =
          node.language !== undefined && LANGUAGE.test(node.language) ? node.language : undefined;
        const open =
          language === undefined ? "<code>" : `<code class="language-${escapeAttribute(language)}">`;
        // Editors end a code block's last line with a line break; readers take one off.
        return `<pre>${open}${escapeText(node.text)}\n</code></pre>`;
      }
      case "mention":
        return `<a href="${escapeAttribute(userPermalink(this.pillOf(node.user)))}">${textHtml(node.name)}</a>`;
      case "link":
        return this.link(node.url, node.children);
      case "quote":
        return `<blockquote>${this.nodes(node.children)}</blockquote>`;
      case "heading": {
        const level = Math.min(6, Math.max(1, Math.round(node.level) || 1));
        return `<h${level}>${this.nodes(node.children)}</h${level}>`;
      }
      case "list": {
        const items = node.items.map((item) => `<li>${this.nodes(item)}</li>`).join("");
        if (!node.ordered) return `<ul>${items}</ul>`;
        const start =
          node.start !== undefined && Number.isSafeInteger(node.start) ? ` start="${node.start}"` : "";
        return `<ol${start}>${items}</ol>`;
      }
      default: {
        const [open, close] = STYLE_TAGS[node.type];
        return `${open}${this.nodes(node.children)}${close}`;
      }
    }
  }

  /** A link, or for an address that is not a web or mail one, its text followed by the address as text. */
  private link(url: string, children: RichText): string {
    const label = children.length === 0 ? textHtml(url) : this.nodes(children);
    if (LINKABLE.test(url)) return `<a href="${escapeAttribute(url)}">${label}</a>`;
    return children.length === 0 || plainText(children) === url ? label : `${label}${textHtml(` (${url})`)}`;
  }
}

/** The node with everything nested past MAX_DEPTH reduced to its text. */
function capDepth(node: RichNode, depth: number): RichNode {
  if (depth >= MAX_DEPTH && ("children" in node || node.type === "list"))
    return { type: "text", text: flatText(node) };
  switch (node.type) {
    case "text":
    case "code":
    case "codeBlock":
    case "mention":
      return node;
    case "list":
      return { ...node, items: node.items.map((item) => item.map((child) => capDepth(child, depth + 1))) };
    default:
      return { ...node, children: node.children.map((child) => capDepth(child, depth + 1)) };
  }
}

/** The text of a node and everything in it (list items on lines of their own), read without recursion. */
function flatText(root: RichNode): string {
  let text = "";
  // What is still to be read, the next last.
  const pending: (RichNode | string)[] = [root];
  const later = (nodes: readonly (RichNode | string)[]) => {
    for (let i = nodes.length - 1; i >= 0; i--) pending.push(nodes[i] as RichNode | string);
  };
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node === "string") text += node;
    else if (node.type === "text" || node.type === "code" || node.type === "codeBlock") text += node.text;
    else if (node.type === "mention") text += node.name;
    else if (node.type === "list") later(node.items.flatMap((item, i) => (i > 0 ? ["\n", ...item] : item)));
    else if (node.type === "link" && node.children.length === 0) text += node.url;
    else later(node.children);
  }
  return text;
}
