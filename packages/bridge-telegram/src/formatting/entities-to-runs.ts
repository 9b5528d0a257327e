// Telegram → runs: a message's text with its entities (UTF-16 offsets, like JavaScript strings). Entities may nest;
// each stretch of text between two entity boundaries gets the marks of every entity covering it, outermost first,
// so even entities that overlap in a way Telegram should not send still come out as valid, balanced markup.

import type { MessageEntity } from "node-telegram-bot-api";
import type { Mark, Run } from "./rich-text.ts";
import { normalizeRuns } from "./rich-text.ts";

const SAFE_LINK = /^(?:https?|mailto):/i;

function markOf(entity: MessageEntity, text: string): Mark | null {
  const covered = text.slice(entity.offset, entity.offset + entity.length);
  switch (entity.type) {
    case "bold":
      return { kind: "bold" };
    case "italic":
      return { kind: "italic" };
    case "underline":
      return { kind: "underline" };
    case "strikethrough":
      return { kind: "strike" };
    case "spoiler":
      return { kind: "spoiler" };
    case "code":
      return { kind: "code" };
    case "pre":
      return entity.language ? { kind: "pre", language: entity.language } : { kind: "pre" };
    case "blockquote":
    case "expandable_blockquote":
      return { kind: "blockquote" };
    case "text_link":
      return entity.url !== undefined && SAFE_LINK.test(entity.url)
        ? { kind: "link", href: entity.url }
        : null;
    case "url":
      return { kind: "link", href: SAFE_LINK.test(covered) ? covered : `https://${covered}` };
    case "email":
      return { kind: "link", href: `mailto:${covered}` };
    case "mention":
      // A mention by @username names no user id: it stays a link to the user's public page.
      return /^@[A-Za-z0-9_]{1,32}$/.test(covered)
        ? { kind: "link", href: `https://t.me/${covered.slice(1)}` }
        : null;
    case "text_mention":
      return entity.user !== undefined && Number.isSafeInteger(entity.user.id) && entity.user.id > 0
        ? { kind: "mention", userId: entity.user.id }
        : null;
    default:
      // Hashtags, bot commands, custom emoji, …: the text says it all.
      return null;
  }
}

export function entitiesToRuns(text: string, entities: readonly MessageEntity[] | undefined): Run[] {
  const valid = (entities ?? [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.offset >= 0 && e.length > 0)
    .filter((e) => e.offset < text.length)
    .map((e, index) => ({ entity: e, end: Math.min(text.length, e.offset + e.length), index }))
    .sort((a, b) => a.entity.offset - b.entity.offset || b.end - a.end || a.index - b.index);
  const cuts = new Set<number>([0, text.length]);
  for (const { entity, end } of valid) {
    cuts.add(entity.offset);
    cuts.add(end);
  }
  const positions = [...cuts].sort((a, b) => a - b);
  const runs: Run[] = [];
  for (let i = 0; i + 1 < positions.length; i++) {
    const start = positions[i]!;
    const stop = positions[i + 1]!;
    const marks: Mark[] = [];
    for (const { entity, end } of valid) {
      if (entity.offset > start || end < stop) continue;
      const mark = markOf(entity, text);
      if (mark !== null) marks.push(mark);
    }
    runs.push({ text: text.slice(start, stop), marks });
  }
  return normalizeRuns(runs);
}
