// Matrix HTML as a small element tree, the first step of reading it. Content that is not part of the message is left
// out here: the reply fallback (<mx-reply>) and what browsers never show (scripts, styles). The tree is at most
// MAX_DEPTH elements deep, so that everything walking it recursively is safe from hostile nesting.

import { Parser } from "htmlparser2";

export interface HtmlElement {
  /** Lower case. */
  name: string;
  /** Lower-case names, decoded values. */
  attrs: Record<string, string>;
  children: HtmlNode[];
}

/** An element, or text with its entities decoded. */
export type HtmlNode = HtmlElement | string;

/** The deepest nesting kept; the Matrix specification asks clients to cut off at 100 too. */
const MAX_DEPTH = 100;

const SKIPPED = new Set(["mx-reply", "script", "style", "head", "title", "template", "noscript"]);

/** What became of each open tag: an element of the tree, content left out, or a tag too deep (its text is kept). */
type OpenTag = HtmlElement | "skipped" | "flattened";

/** The element tree of an HTML fragment; its root is named `#root`. */
export function parseHtml(html: string): HtmlElement {
  const root: HtmlElement = { name: "#root", attrs: {}, children: [] };
  const elements: HtmlElement[] = [root];
  const open: OpenTag[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (skipping > 0 || SKIPPED.has(name)) {
          skipping++;
          open.push("skipped");
        } else if (elements.length > MAX_DEPTH) {
          open.push("flattened");
        } else {
          const element: HtmlElement = { name, attrs, children: [] };
          elements.at(-1)?.children.push(element);
          elements.push(element);
          open.push(element);
        }
      },
      onclosetag() {
        const tag = open.pop();
        if (tag === "skipped") skipping--;
        else if (tag !== undefined && tag !== "flattened") elements.pop();
      },
      ontext(text) {
        if (skipping > 0) return;
        const parent = elements.at(-1);
        const last = parent?.children.at(-1);
        // The parser may hand one run of text over in pieces (around entities).
        if (parent !== undefined && typeof last === "string")
          parent.children[parent.children.length - 1] = last + text;
        else parent?.children.push(text);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return root;
}

/** A link's address as browsers read it: tabs and line breaks taken out, the spaces around it too. */
export function hrefOf(element: HtmlElement): string {
  return (element.attrs["href"] ?? "").replace(/[\t\n\r]/g, "").trim();
}

/** All the text in a node, elements taken out; `<br>` as a line break. */
export function textContent(node: HtmlNode): string {
  if (typeof node === "string") return node;
  if (node.name === "br") return "\n";
  return node.children.map(textContent).join("");
}
