// Matrix HTML → XEP-0393 styled text: what Matrix users format (bold, italics, strike, code, quotes, lists) goes to
// XMPP as the plain-text directives XMPP clients style (`*bold*`, `_italics_`, `~strike~`, `` `code` ``, `> quote`).
// Links keep their address next to their text; mention pills are just the name; the reply fallback is left out.

import { Parser } from "htmlparser2";

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: (Node | string)[];
}

const SKIPPED = new Set(["mx-reply", "script", "style", "head", "title", "template"]);
const SPAN_DIRECTIVE: Record<string, string> = {
  strong: "*",
  b: "*",
  em: "_",
  i: "_",
  del: "~",
  s: "~",
  strike: "~",
};
const BLOCKS = new Set([
  "p",
  "div",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "blockquote",
  "pre",
  "table",
  "tr",
]);

function parse(html: string): Node {
  const root: Node = { name: "#root", attrs: {}, children: [] };
  const stack: Node[] = [root];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const node: Node = { name, attrs, children: [] };
        stack.at(-1)!.children.push(node);
        stack.push(node);
      },
      ontext(text) {
        // NUL marks block edges below; XML could not carry it anyway.
        stack.at(-1)!.children.push(text.replaceAll("\u0000", ""));
      },
      onclosetag() {
        if (stack.length > 1) stack.pop();
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return root;
}

/** Wraps `inner` in a directive, with surrounding spaces kept outside (XEP-0393 spans cannot start or end with one). */
function span(directive: string, inner: string): string {
  const match = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner)!;
  const [, before, text, after] = match;
  return text === "" ? inner : `${before}${directive}${text}${directive}${after}`;
}

function textOf(node: Node): string {
  return node.children.map((child) => (typeof child === "string" ? child : textOf(child))).join("");
}

function render(node: Node, inPre: boolean): string {
  let out = "";
  for (const child of node.children) {
    if (typeof child === "string") {
      // Line breaks in HTML source are only layout, unless inside <pre>.
      out += inPre ? child : child.replace(/\s*\n\s*/g, " ");
      continue;
    }
    if (SKIPPED.has(child.name)) continue;
    out += renderElement(child, inPre);
  }
  return out;
}

/** Where a block starts or ends; runs of them become one line break in the end. */
const EDGE = "\u0000";

function block(text: string): string {
  return `${EDGE}${text}${EDGE}`;
}

/** Block edges as line breaks: one between two blocks, none at the ends. */
function lines(text: string): string {
  return text.replace(/^[\u0000\s]*\u0000|\u0000[\u0000\s]*$/g, "").replace(/[ \t]*\u0000[\u0000\s]*/g, "\n");
}

function renderElement(node: Node, inPre: boolean): string {
  const directive = SPAN_DIRECTIVE[node.name];
  if (directive !== undefined) return span(directive, render(node, inPre));
  switch (node.name) {
    case "br":
      return "\n";
    case "code":
      return inPre ? textOf(node) : span("`", textOf(node));
    case "pre":
      return block(`\`\`\`\n${textOf(node).replace(/\n$/, "")}\n\`\`\``);
    case "blockquote":
      return block(
        lines(render(node, inPre))
          .split("\n")
          .map((line) => `> ${line}`)
          .join("\n"),
      );
    case "li":
      return block(`• ${render(node, inPre).trim()}`);
    case "a": {
      const text = render(node, inPre);
      const href = node.attrs["href"] ?? "";
      // A pill's text is the person's name; a plain link whose text is its address needs it only once.
      if (
        href === "" ||
        /^https?:\/\/matrix\.to\/#\/[@!#]/i.test(href) ||
        href === text ||
        `mailto:${text}` === href
      )
        return text;
      return `${text} <${href}>`;
    }
    case "img":
      return node.attrs["alt"] ?? "";
    default:
      return BLOCKS.has(node.name) ? block(render(node, inPre)) : render(node, inPre);
  }
}

/** The XEP-0393 text for a Matrix `formatted_body`. */
export function htmlToStyling(html: string): string {
  return lines(render(parse(html), false));
}
