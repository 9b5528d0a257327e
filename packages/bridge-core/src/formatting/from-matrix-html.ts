// Matrix HTML (the `org.matrix.custom.html` subset of the specification's m.room.message) → rich text. What rich
// text has no node for keeps its text: colours, tables (cells on a line, " | " between them), images (their alt
// text), unknown elements. Mention pills of users the network knows become mentions; other pills are their text.

import type { RemoteUserId, UserId } from "../ids.ts";
import { isBlock, plainText, type RichNode, type RichStyle, type RichText } from "../rich-text.ts";
import { type HtmlElement, type HtmlNode, hrefOf, parseHtml, textContent } from "./html-tree.ts";
import { normalizeRichText } from "./normalize.ts";
import { pillTarget } from "./pills.ts";
import { type InlineElement, RichFlow } from "./rich-flow.ts";

/** The mentioned Matrix users that have a remote identity: who they are on the network, and the name to show. */
export type MentionedUsers = ReadonlyMap<UserId, { user: RemoteUserId; name: string }>;

const STYLES: Record<string, RichStyle> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  cite: "italic",
  u: "underline",
  ins: "underline",
  s: "strike",
  strike: "strike",
  del: "strike",
};
const INLINE_CODE = new Set(["code", "tt", "kbd", "samp"]);
/** Elements that start and end lines, without a node of their own in rich text. */
const LINE_BLOCKS = new Set([
  "div",
  "li",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "caption",
  "details",
  "summary",
  "dl",
  "dt",
  "dd",
  "section",
  "article",
  "aside",
  "header",
  "footer",
  "nav",
  "main",
  "address",
  "figure",
  "figcaption",
]);
/** Links a reader can follow; others (javascript:, data:, relative links) are only their text. */
const FOLLOWABLE = /^(?:https?|ftp|mailto|magnet|matrix|irc|ircs|xmpp):/i;
const LANGUAGE_CLASS = /^language-([A-Za-z0-9_+#.-]{1,40})$/;
const LIST_START = /^-?\d{1,9}$/;

export function fromMatrixHtml(html: string, mentions: MentionedUsers): RichText {
  const flow = new RichFlow();
  new HtmlReader(mentions).children(parseHtml(html), flow);
  return normalizeRichText(flow.finish());
}

class HtmlReader {
  private readonly mentions: MentionedUsers;

  constructor(mentions: MentionedUsers) {
    this.mentions = mentions;
  }

  children(element: HtmlElement, flow: RichFlow): void {
    for (const child of element.children) this.node(child, flow);
  }

  private node(node: HtmlNode, flow: RichFlow): void {
    if (typeof node === "string") flow.text(node.replaceAll("\0", ""));
    else this.element(node, flow);
  }

  private element(element: HtmlElement, flow: RichFlow): void {
    const { name, attrs } = element;
    const heading = /^h([1-6])$/.exec(name)?.[1];
    const style =
      STYLES[name] ??
      ((name === "span" || name === "font") && "data-mx-spoiler" in attrs ? "spoiler" : undefined);
    if (style !== undefined) this.inlineElement({ type: style, children: [] }, element, flow);
    else if (INLINE_CODE.has(name)) {
      const text = inlineCodeText(element);
      if (text !== "") flow.inline({ type: "code", text });
    } else if (heading !== undefined)
      flow.block({ type: "heading", level: Number(heading), children: asLines(this.flowOf(element)) });
    else if (name === "a") this.anchor(element, flow);
    else if (name === "br") flow.lineBreak();
    else if (name === "img") flow.text(attrs["alt"] ?? attrs["title"] ?? "");
    else if (name === "pre") flow.block(codeBlock(element));
    else if (name === "blockquote") flow.block({ type: "quote", children: this.flowOf(element) });
    else if (name === "ul" || name === "ol") flow.block(this.list(element));
    else if (name === "tr") this.tableRow(element, flow);
    else if (name === "hr") {
      flow.blockEdge(1);
      flow.text("---");
      flow.blockEdge(1);
    } else {
      const edge: 0 | 1 | 2 = name === "p" ? 2 : LINE_BLOCKS.has(name) ? 1 : 0;
      if (edge !== 0) flow.blockEdge(edge);
      this.children(element, flow);
      if (edge !== 0) flow.blockEdge(edge);
    }
  }

  private inlineElement(node: InlineElement, element: HtmlElement, flow: RichFlow): void {
    flow.openInline(node);
    this.children(element, flow);
    flow.closeInline();
  }

  private anchor(element: HtmlElement, flow: RichFlow): void {
    const href = hrefOf(element);
    const user = pillTarget(href);
    const mentioned = user === undefined ? undefined : this.mentions.get(user);
    // A link inside a link (which HTML does not allow) is its text.
    if (flow.inLink) this.children(element, flow);
    else if (mentioned !== undefined)
      flow.inline({ type: "mention", user: mentioned.user, name: mentioned.name });
    else if (user === undefined && FOLLOWABLE.test(href))
      this.inlineElement({ type: "link", url: href, children: [] }, element, flow);
    else this.children(element, flow);
  }

  /** A run of its own for the inside of a block. */
  private flowOf(element: HtmlElement): RichText {
    const flow = new RichFlow();
    this.children(element, flow);
    return flow.finish();
  }

  private list(element: HtmlElement): RichNode {
    const ordered = element.name === "ol";
    const items: RichText[] = [];
    // Content between the items is an item of its own, except a list there (as some editors nest lists), which
    // belongs to the item before it.
    let between: HtmlNode[] = [];
    const takeBetween = () => {
      const flow = new RichFlow();
      for (const node of between) this.node(node, flow);
      between = [];
      const nodes = flow.finish();
      if (nodes.length > 0) items.push(nodes);
    };
    for (const child of element.children) {
      if (typeof child === "string" || !["li", "ul", "ol"].includes(child.name)) {
        between.push(child);
        continue;
      }
      takeBetween();
      const previous = items.at(-1);
      if (child.name === "li") items.push(this.flowOf(child));
      else if (previous === undefined) items.push([this.list(child)]);
      else previous.push(this.list(child));
    }
    takeBetween();
    const start = element.attrs["start"]?.trim();
    return {
      type: "list",
      ordered,
      items,
      ...(ordered && start !== undefined && LIST_START.test(start) && { start: Number(start) }),
    };
  }

  private tableRow(row: HtmlElement, flow: RichFlow): void {
    flow.blockEdge(1);
    let cells = 0;
    for (const child of row.children) {
      if (typeof child !== "string" && (child.name === "td" || child.name === "th") && cells++ > 0)
        flow.text(" | ");
      this.node(child, flow);
    }
    flow.blockEdge(1);
  }
}

/** Inline code keeps its spaces (it is code); a line break in the source is layout, a <br> is one. */
function inlineCodeText(node: HtmlNode): string {
  if (typeof node === "string") return node.replace(/\r\n|[\r\n]/g, " ").replaceAll("\0", "");
  if (node.name === "br") return "\n";
  return node.children.map(inlineCodeText).join("");
}

function codeBlock(pre: HtmlElement): RichNode {
  const code = pre.children.find((child) => typeof child !== "string" && child.name === "code");
  const classes = [typeof code === "string" ? undefined : code?.attrs["class"], pre.attrs["class"]];
  const language = classes
    .flatMap((value) => (value ?? "").split(/\s+/))
    .map((name) => LANGUAGE_CLASS.exec(name)?.[1])
    .find((name) => name !== undefined);
  let text = textContent(pre).replace(/\r\n?/g, "\n").replaceAll("\0", "");
  // HTML drops a line break right after <pre>; editors end the last line of code with one.
  if (typeof pre.children[0] === "string") text = text.replace(/^\n/, "");
  text = text.replace(/\n$/, "");
  return language === undefined ? { type: "codeBlock", text } : { type: "codeBlock", text, language };
}

/** Rich text as inline nodes, each block on lines of its own: for a heading, which is one line of inline content. */
function asLines(rich: RichText): RichNode[] {
  const out: RichNode[] = [];
  let afterBlock = false;
  for (const node of rich) {
    const block = isBlock(node);
    if ((block || afterBlock) && out.length > 0) out.push({ type: "text", text: "\n" });
    if (node.type === "heading") out.push(...node.children);
    else out.push(block ? { type: "text", text: plainText([node]) } : node);
    afterBlock = block;
  }
  return out;
}
