// Matrix → IRC: the core's neutral rich text (rich-text.ts in bridge-core) becomes text with IRC control codes, one
// IRC line per line or block. Rich text nests while IRC codes toggle, so nesting is counted per style and codes are
// written lazily, right before the next visible text: empty spans cost nothing, and a code never ends up glued to
// digits that would change its meaning. Every output line starts unformatted (each IRC message does), so formatting
// that spans a line break is opened again on the next line.

import { plainText, type RemoteUserId, type RichNode, type RichText } from "bridge-core";
import { type IrcStyle, PLAIN, transitionCodes } from "./codes.ts";

export interface RichTextToIrcOptions {
  /**
   * The IRC nick to write for a mentioned remote user (an IRC user, or a Matrix user's puppet), or null to write the
   * mention's name.
   */
  mentionedNick?: (user: RemoteUserId) => string | null;
}

/** Link schemes worth showing as text; others (javascript:, data:, relative links) are not followable on IRC. */
const SHOWN_SCHEMES = /^(?:https?|ftp|mailto|magnet|matrix|irc|ircs):/i;

/** IRC colour 1 (black) on itself: IRC has no spoilers, and black on black shows the text only when selected. */
const SPOILER_COLOUR = 1;

/** Characters Matrix text must not smuggle onto IRC: NUL cuts lines, \x01 would start a CTCP request. */
function cleanText(text: string): string {
  return text.toWellFormed().replace(/[\0\x01]/g, "");
}

/** "https://example.org/" and "example.org" are the same link for a reader. */
function sameLink(text: string, url: string): boolean {
  const norm = (s: string) =>
    s
      .trim()
      .replace(/^(?:https?:\/\/|mailto:)/i, "")
      .replace(/\/+$/, "")
      .toLowerCase();
  return norm(text) === norm(url);
}

type Counted = "bold" | "italic" | "underline" | "strike" | "monospace" | "spoiler";

class IrcWriter {
  private readonly lines: string[] = [];
  private line = "";
  private emitted: IrcStyle = PLAIN;
  private readonly depth: Record<Counted, number> = {
    bold: 0,
    italic: 0,
    underline: 0,
    strike: 0,
    monospace: 0,
    spoiler: 0,
  };
  private quoteDepth = 0;
  private readonly lists: { ordered: boolean; next: number }[] = [];
  private pendingBullet: string | undefined;
  private readonly options: RichTextToIrcOptions;

  constructor(options: RichTextToIrcOptions) {
    this.options = options;
  }

  result(): string {
    this.lineBreak();
    return this.lines.join("\n");
  }

  private style(): IrcStyle {
    const spoiler = this.depth.spoiler > 0;
    return {
      bold: this.depth.bold > 0,
      italic: this.depth.italic > 0,
      underline: this.depth.underline > 0,
      strikethrough: this.depth.strike > 0,
      monospace: this.depth.monospace > 0,
      reverse: false,
      fg: spoiler ? SPOILER_COLOUR : undefined,
      bg: spoiler ? SPOILER_COLOUR : undefined,
    };
  }

  private lineBreak(): void {
    if (this.line !== "") this.lines.push(this.line);
    this.line = "";
    this.emitted = PLAIN;
  }

  private linePrefix(): string {
    let prefix = "> ".repeat(this.quoteDepth);
    if (this.pendingBullet !== undefined) {
      prefix += this.pendingBullet;
      this.pendingBullet = undefined;
    } else if (this.lists.length > 0) {
      prefix += "  ".repeat(this.lists.length);
    }
    return prefix;
  }

  /** Writes text that holds no line break, with the codes for the current style in front. */
  private emit(text: string): void {
    if (text === "") return;
    if (this.line === "") this.line = this.linePrefix();
    const style = this.style();
    this.line += transitionCodes(this.emitted, style, text) + text;
    this.emitted = style;
  }

  private text(raw: string): void {
    cleanText(raw)
      .split(/\r\n|\r|\n/)
      .forEach((part, i) => {
        if (i > 0) this.lineBreak();
        this.emit(part);
      });
  }

  private within(counted: Counted, write: () => void): void {
    this.depth[counted]++;
    write();
    this.depth[counted]--;
  }

  private block(write: () => void): void {
    this.lineBreak();
    write();
    this.lineBreak();
  }

  nodes(nodes: readonly RichNode[]): void {
    for (const node of nodes) this.node(node);
  }

  private node(node: RichNode): void {
    switch (node.type) {
      case "text":
        this.text(node.text);
        break;
      case "bold":
      case "italic":
      case "underline":
      case "strike":
        this.within(node.type, () => this.nodes(node.children));
        break;
      case "spoiler":
        this.text("[spoiler] ");
        this.within("spoiler", () => this.nodes(node.children));
        break;
      case "code":
        this.within("monospace", () => this.text(node.text));
        break;
      case "codeBlock":
        this.block(() => this.within("monospace", () => this.text(node.text)));
        break;
      case "link":
        this.link(node.url, node.children);
        break;
      case "mention": {
        // The nick is what IRC clients highlight; a name has to do for someone the network does not know.
        const nick = this.options.mentionedNick?.(node.user) ?? node.name;
        this.text(nick.replace(/[\r\n]+/g, " "));
        break;
      }
      case "quote":
        this.block(() => {
          this.quoteDepth++;
          this.nodes(node.children);
          this.quoteDepth--;
        });
        break;
      case "heading":
        this.block(() => this.within("bold", () => this.nodes(node.children)));
        break;
      case "list":
        this.block(() => this.list(node.ordered, node.start ?? 1, node.items));
        break;
    }
  }

  private link(rawUrl: string, children: RichNode[]): void {
    const url = cleanText(rawUrl).replace(/[\s\p{Cc}]/gu, "");
    const label = plainText(children);
    if (!SHOWN_SCHEMES.test(url)) {
      this.nodes(children);
    } else if (label.trim() === "") {
      this.text(url);
    } else {
      this.nodes(children);
      if (!sameLink(label, url)) this.plain(` (${url})`);
    }
  }

  /** Text in the surrounding spoiler colours but without bold and the like, for additions of our own. */
  private plain(text: string): void {
    const { bold, italic, underline, strike, monospace } = this.depth;
    Object.assign(this.depth, { bold: 0, italic: 0, underline: 0, strike: 0, monospace: 0 });
    this.text(text);
    Object.assign(this.depth, { bold, italic, underline, strike, monospace });
  }

  private list(ordered: boolean, start: number, items: RichNode[][]): void {
    const indent = "  ".repeat(this.lists.length);
    const list = { ordered, next: start };
    this.lists.push(list);
    for (const item of items) {
      this.lineBreak();
      this.pendingBullet = indent + (ordered ? `${list.next++}. ` : "• ");
      this.nodes(item);
      this.pendingBullet = undefined;
      this.lineBreak();
    }
    this.lists.pop();
  }
}

/**
 * Rich text as IRC text: lines separated by "\n", each line formatted on its own. Send it through `splitMessage`
 * (with `carryFormatting`), which makes the actual IRC lines.
 */
export function richTextToIrc(rich: RichText, options: RichTextToIrcOptions = {}): string {
  const writer = new IrcWriter(options);
  writer.nodes(rich);
  return writer.result();
}
