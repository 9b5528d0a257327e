// Matrix HTML and the neutral rich text (rich-text.ts), both ways: the one place the bridge reads and writes the
// formatting of Matrix messages, so that no network plugin ever sees Matrix HTML.

import type { UserId } from "../ids.ts";
import { type HtmlNode, hrefOf, parseHtml } from "./html-tree.ts";
import { pillTarget } from "./pills.ts";

export { fromMatrixHtml, type MentionedUsers } from "./from-matrix-html.ts";
export { toMatrixHtml } from "./to-matrix-html.ts";

/** The Matrix users an HTML body mentions with pills, in order, each once; the reply fallback's are not counted. */
export function matrixMentions(html: string): UserId[] {
  const users = new Set<UserId>();
  const visit = (node: HtmlNode) => {
    if (typeof node === "string") return;
    const user = node.name === "a" ? pillTarget(hrefOf(node)) : undefined;
    if (user !== undefined) users.add(user);
    for (const child of node.children) visit(child);
  };
  visit(parseHtml(html));
  return [...users];
}
