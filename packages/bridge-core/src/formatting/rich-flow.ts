// Lays out rich text the way a browser lays out HTML: runs of white space collapse to one space and vanish at the
// edges of a line, block elements start and end lines, paragraphs stand a blank line apart, and block nodes (quotes,
// lists, headings, code blocks) stand on lines of their own. A <br> is always a line break of its own, kept as "\n"
// in the text, which is why a break before a block needs no "\n" of its own (see plainText in rich-text.ts).

import type { RichNode, RichStyle, RichText } from "../rich-text.ts";

type TextNode = Extract<RichNode, { type: "text" }>;
export type InlineElement = Extract<RichNode, { type: RichStyle | "link" }>;

interface OpenInline {
  node: InlineElement;
  /**
   * Whether `node` is in the tree yet. It goes in with its first content, so that empty elements leave nothing and
   * line breaks owed from an earlier block go in front of the element rather than into it.
   */
  attached: boolean;
  /** The continuation of an element a block cut in two: left out when nothing follows the block inside it. */
  continued: boolean;
}

function emptyCopy(node: InlineElement): InlineElement {
  return node.type === "link"
    ? { type: "link", url: node.url, children: [] }
    : { type: node.type, children: [] };
}

function isEmptyBlock(node: RichNode): boolean {
  switch (node.type) {
    case "codeBlock":
      return node.text === "";
    case "list":
      return node.items.length === 0;
    case "quote":
    case "heading":
      return node.children.length === 0;
    default:
      return false;
  }
}

/** One run of rich text under construction: a message, or the inside of a quote, a list item or a heading. */
export class RichFlow {
  private readonly nodes: RichText = [];
  private readonly open: OpenInline[] = [];
  /** Whether anything was placed yet: line breaks owed at the start of a run are not shown. */
  private hasContent = false;
  /** Whether the current line has something on it (false at the start, after "\n" and after a block). */
  private lineHasContent = false;
  /** Line breaks owed before the next content: 1 at a block's edge, 2 at a paragraph's. */
  private pendingBreaks = 0;
  /** Whether a space here would be collapsed away (at a line's start, or after a space). */
  private spaceBefore = true;
  /** The last text on the current line, whose trailing space goes when the line ends. */
  private lastText: TextNode | undefined;

  get inLink(): boolean {
    return this.open.some((o) => o.node.type === "link");
  }

  /** The edge of a block element: the next content starts on a new line, after a blank one for a paragraph. */
  blockEdge(lines: 1 | 2): void {
    this.pendingBreaks = Math.max(this.pendingBreaks, lines);
  }

  /** Text as it appears in HTML source: its white space is layout. */
  text(source: string): void {
    let text = source.replace(/[ \t\n\r\f]+/g, " ");
    if (this.spaceBefore || this.pendingBreaks > 0) text = text.replace(/^ /, "");
    if (text === "") return;
    const node: TextNode = { type: "text", text };
    this.place(node);
    this.lastText = node;
    this.spaceBefore = text.endsWith(" ");
  }

  /** Inline content other than text (a mention, inline code). */
  inline(node: RichNode): void {
    this.place(node);
    this.lastText = undefined;
    this.spaceBefore = false;
  }

  lineBreak(): void {
    this.trimLineEnd();
    this.place({ type: "text", text: "\n" });
    this.lineHasContent = false;
    this.spaceBefore = true;
  }

  /** A block node on lines of its own; inline elements open around it go on after it. */
  block(node: RichNode): void {
    if (isEmptyBlock(node)) {
      this.blockEdge(1);
      return;
    }
    this.trimLineEnd();
    // A paragraph's blank line before a block needs both line breaks: a single one is implied by the block.
    if (this.hasContent && this.pendingBreaks >= 2) {
      const count = this.lineHasContent ? this.pendingBreaks : this.pendingBreaks - 1;
      this.nodes.push({ type: "text", text: "\n".repeat(count) });
    }
    this.pendingBreaks = 0;
    this.nodes.push(node);
    this.hasContent = true;
    this.lineHasContent = false;
    this.spaceBefore = true;
    for (const open of this.open) {
      open.node = emptyCopy(open.node);
      open.attached = false;
      open.continued = true;
    }
  }

  openInline(node: InlineElement): void {
    this.open.push({ node, attached: false, continued: false });
  }

  closeInline(): void {
    const closed = this.open.pop();
    // A link with no text still shows its address.
    if (closed?.node.type === "link" && !closed.attached && !closed.continued) this.inline(closed.node);
  }

  /** The nodes of the run, once every element opened in it is closed. */
  finish(): RichText {
    this.trimLineEnd();
    return this.nodes;
  }

  /** Puts a node where the content goes now, adding the owed line breaks and the open elements it is in first. */
  private place(node: RichNode): void {
    const loose = this.open.findIndex((o) => !o.attached);
    const attachedCount = loose === -1 ? this.open.length : loose;
    let target =
      attachedCount === 0 ? this.nodes : (this.open[attachedCount - 1]?.node.children ?? this.nodes);
    if (this.hasContent && this.pendingBreaks > 0) {
      this.trimLineEnd();
      const count = this.lineHasContent ? this.pendingBreaks : this.pendingBreaks - 1;
      if (count > 0) target.push({ type: "text", text: "\n".repeat(count) });
    }
    this.pendingBreaks = 0;
    for (const open of this.open.slice(attachedCount)) {
      target.push(open.node);
      open.attached = true;
      target = open.node.children;
    }
    target.push(node);
    this.hasContent = true;
    this.lineHasContent = true;
  }

  private trimLineEnd(): void {
    if (this.lastText?.text.endsWith(" ")) this.lastText.text = this.lastText.text.slice(0, -1);
    this.lastText = undefined;
  }
}
