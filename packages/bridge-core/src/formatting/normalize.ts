// The one spelling of a piece of rich text: neighbouring text joined, nothing empty, a link whose text is its address
// written with no text. Rich text read from Matrix HTML comes out in it, so that equal messages compare equal.

import type { RichNode, RichText } from "../rich-text.ts";

export function normalizeRichText(rich: RichText): RichText {
  const out: RichText = [];
  for (const node of rich) {
    const normal = normalizeNode(node);
    if (normal === undefined) continue;
    const last = out.at(-1);
    if (normal.type === "text" && last?.type === "text")
      out[out.length - 1] = { type: "text", text: last.text + normal.text };
    else out.push(normal);
  }
  return out;
}

function normalizeNode(node: RichNode): RichNode | undefined {
  switch (node.type) {
    case "text":
    case "code":
    case "codeBlock":
      return node.text === "" ? undefined : node;
    case "mention":
      return node;
    case "link": {
      const children = normalizeRichText(node.children);
      const [only] = children;
      const showsAddress = children.length === 1 && only?.type === "text" && only.text === node.url;
      return { type: "link", url: node.url, children: showsAddress ? [] : children };
    }
    case "list":
      return node.items.length === 0
        ? undefined
        : {
            type: "list",
            ordered: node.ordered,
            items: node.items.map(normalizeRichText),
            ...(node.ordered && node.start !== undefined && { start: node.start }),
          };
    case "heading": {
      const children = normalizeRichText(node.children);
      return children.length === 0 ? undefined : { type: "heading", level: node.level, children };
    }
    default: {
      const children = normalizeRichText(node.children);
      return children.length === 0 ? undefined : { type: node.type, children };
    }
  }
}
