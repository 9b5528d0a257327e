// The core's neutral rich text (rich-text.ts) as Discord markdown, with every character of the text escaped so that
// nothing a Matrix user wrote is taken as markup (links are left as written, so Discord still recognises them), and
// mentions of Discord users as `<@id>`. Discord renders at most three heading levels; deeper ones are bold lines.

import type { RichNode, RichText } from "bridge-core";
import { isSnowflake } from "./discord-ids.ts";

const URL_IN_TEXT = /https?:\/\/[^\s<>]+/g;

/** Escapes Discord markdown in plain text, leaving URLs intact. */
export function escapeMarkdown(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    out += escapePlain(text.slice(last, match.index));
    out += match[0];
    last = match.index + match[0].length;
  }
  out += escapePlain(text.slice(last));
  return out;
}

function escapePlain(text: string): string {
  return text
    .replace(/[\\*_~|`[\]<]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([>#-]|\d+\.)(?= )/gm, (_, space: string, mark: string) => `${space}\\${mark}`)
    .replace(/@(everyone|here)/g, "@\u200b$1");
}

/** The Discord users the text mentions, for `allowed_mentions` (nobody else is pinged, @everyone never). */
export function mentionedUsers(rich: RichText): string[] {
  const ids = new Set<string>();
  const walk = (nodes: RichNode[]) => {
    for (const node of nodes) {
      if (node.type === "mention" && isSnowflake(node.user)) ids.add(node.user);
      if ("children" in node) walk(node.children);
      if (node.type === "list") for (const item of node.items) walk(item);
    }
  };
  walk(rich);
  return [...ids];
}

export function richToDiscord(rich: RichText): string {
  let out = "";
  for (const node of rich) {
    const block = ["codeBlock", "quote", "heading", "list"].includes(node.type);
    if (block && out !== "" && !out.endsWith("\n")) out += "\n";
    out += nodeToDiscord(node);
    if (block) out += "\n";
  }
  return out.replace(/\n$/, "");
}

function nodeToDiscord(node: RichNode): string {
  switch (node.type) {
    case "text":
      return escapeMarkdown(node.text);
    case "bold":
      return wrap("**", node.children);
    case "italic":
      return wrap("*", node.children);
    case "underline":
      return wrap("__", node.children);
    case "strike":
      return wrap("~~", node.children);
    case "spoiler":
      return wrap("||", node.children);
    case "code":
      return inlineCode(node.text);
    case "codeBlock":
      return `\`\`\`${node.language ?? ""}\n${node.text.replaceAll("```", "`\u200b``")}\n\`\`\``;
    case "link": {
      const label = richToDiscord(node.children);
      if (label === "" || label === escapeMarkdown(node.url)) return node.url;
      if (!/^https?:\/\//.test(node.url)) return `${label} (${node.url})`;
      return `[${label.replaceAll("](", "]\\(")}](${node.url})`;
    }
    case "mention":
      return isSnowflake(node.user) ? `<@${node.user}>` : escapeMarkdown(`@${node.name}`);
    case "quote":
      return richToDiscord(node.children)
        .split("\n")
        .map((line) => `> ${line}`)
        .join("\n");
    case "heading":
      return node.level <= 3
        ? `${"#".repeat(node.level)} ${richToDiscord(node.children).replaceAll("\n", " ")}`
        : `**${richToDiscord(node.children)}**`;
    case "list":
      return node.items
        .map((item, i) => `${node.ordered ? `${(node.start ?? 1) + i}.` : "-"} ${richToDiscord(item)}`)
        .join("\n");
  }
}

function wrap(mark: string, children: RichNode[]): string {
  const inside = richToDiscord(children);
  return inside === "" ? "" : `${mark}${inside}${mark}`;
}

function inlineCode(text: string): string {
  if (!text.includes("`")) return `\`${text}\``;
  return `\`\` ${text.replaceAll("``", "`\u200b`")} \`\``;
}
