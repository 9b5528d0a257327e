// Rich text → XEP-0393 styled text: what Matrix users format (bold, italics, strike, code, quotes, lists) goes to
// XMPP as the plain-text directives XMPP clients style (`*bold*`, `_italics_`, `~strike~`, `` `code` ``, `> quote`).
// XMPP has no underline or spoiler: those stay plain. Links keep their address next to their text; a mention is the
// name the XMPP side knows the person by.

import type { RichNode, RichText } from "bridge-core";

type Mention = Extract<RichNode, { type: "mention" }>;

/** The name a mention is written as: in a room, the occupant's nick; elsewhere the name the core gives. */
export type MentionName = (mention: Mention) => string;

const DIRECTIVES: Partial<Record<RichNode["type"], string>> = { bold: "*", italic: "_", strike: "~" };

/** Where a block starts or ends; runs of them (and the whitespace between) become one line break in the end. */
const EDGE = "\u0000";

/**
 * Wraps each line of `inner` in a directive, with surrounding spaces kept outside: XEP-0393 spans cannot start or
 * end with a space, nor run past the end of a line.
 */
function span(directive: string, inner: string): string {
  return inner
    .split("\n")
    .map((line) => {
      const [, before, text, after] = /^(\s*)([\s\S]*?)(\s*)$/.exec(line)!;
      return text === "" ? line : `${before}${directive}${text}${directive}${after}`;
    })
    .join("\n");
}

/** Block edges as line breaks: one between two blocks, none at the ends. */
function lines(text: string): string {
  return text.replace(/^[\u0000\s]*\u0000|\u0000[\u0000\s]*$/g, "").replace(/[ \t]*\u0000[\u0000\s]*/g, "\n");
}

function block(text: string): string {
  return `${EDGE}${text}${EDGE}`;
}

function render(nodes: RichNode[], mentionName: MentionName): string {
  return nodes.map((node) => renderNode(node, mentionName)).join("");
}

function renderNode(node: RichNode, mentionName: MentionName): string {
  switch (node.type) {
    case "text":
      // NUL marks block edges here; XML could not carry it anyway.
      return node.text.replaceAll(EDGE, "");
    case "bold":
    case "italic":
    case "strike":
      return span(DIRECTIVES[node.type]!, render(node.children, mentionName));
    case "underline":
    case "spoiler":
      return render(node.children, mentionName);
    case "code":
      return span("`", node.text);
    case "codeBlock":
      return block(`\`\`\`\n${node.text.replace(/\n$/, "")}\n\`\`\``);
    case "mention":
      return mentionName(node);
    case "link": {
      const text = render(node.children, mentionName);
      // A link whose text is its address needs it only once.
      if (text === "" || text === node.url) return node.url;
      if (`mailto:${text}` === node.url) return text;
      return `${text} <${node.url}>`;
    }
    case "quote":
      return block(
        lines(render(node.children, mentionName))
          .split("\n")
          .map((line) => `> ${line}`)
          .join("\n"),
      );
    case "heading":
      return block(render(node.children, mentionName));
    case "list":
      return block(
        node.items
          .map((item, i) => {
            const marker = node.ordered ? `${(node.start ?? 1) + i}.` : "•";
            return `${marker} ${lines(render(item, mentionName)).trim()}`;
          })
          .join("\n"),
      );
  }
}

/** The XEP-0393 body for a message's rich text. */
export function richToStyling(rich: RichText, mentionName: MentionName = (mention) => mention.name): string {
  return lines(render(rich, mentionName));
}
