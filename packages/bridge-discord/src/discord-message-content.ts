// What a Discord message says, for Matrix: its markdown as rich text, then its embeds as text (a bot's or a webhook's
// rich embeds: author, linked title, description, fields, footer; link previews are left out, since Matrix clients
// preview the link themselves), and its files: attachments, then stickers as images (Lottie stickers, which are
// animations in a JSON format no Matrix client shows, stay as their name in the text).

import type { RichNode, RichText } from "bridge-core";
import { type Embed, type Message, StickerFormatType } from "discord.js";
import { discordToRich, inline, type TagNames } from "./markdown-to-rich.ts";

/** A file to bring along, and what stands in for it when it cannot be fetched. */
export interface MessageFile {
  url: string;
  filename: string;
  contentType?: string;
}

export function messageText(message: Message, names: TagNames): RichText {
  const text = discordToRich(message.content, names);
  for (const embed of message.embeds) {
    const block = embedText(embed, names);
    if (block !== null) text.push(block);
  }
  for (const sticker of message.stickers.values()) {
    if (sticker.format === StickerFormatType.Lottie)
      text.push({ type: "text", text: `[sticker: ${sticker.name}]` });
  }
  return text;
}

export function messageFiles(message: Message): MessageFile[] {
  const files: MessageFile[] = [...message.attachments.values()].map((a) => ({
    url: a.url,
    filename: a.name,
    ...(a.contentType !== null && { contentType: a.contentType }),
  }));
  for (const sticker of message.stickers.values()) {
    if (sticker.format === StickerFormatType.Lottie) continue;
    const gif = sticker.format === StickerFormatType.GIF;
    files.push({
      url: sticker.url,
      filename: `${sticker.name}.${gif ? "gif" : "png"}`,
      contentType: gif ? "image/gif" : "image/png",
    });
  }
  return files;
}

/** A rich embed as a quoted block; null for a link preview (type link, article, image, video, gifv). */
export function embedText(embed: Embed, names: TagNames): RichNode | null {
  const { data } = embed;
  if (data.type !== undefined && data.type !== "rich") return null;
  const lines: RichText[] = [];
  if (embed.author?.name)
    lines.push([{ type: "bold", children: [{ type: "text", text: embed.author.name }] }]);
  if (embed.title) {
    const title: RichText = inline(embed.title, names);
    lines.push(
      embed.url ? [{ type: "link", url: embed.url, children: title }] : [{ type: "bold", children: title }],
    );
  }
  if (embed.description) lines.push(discordToRich(embed.description, names));
  for (const field of embed.fields) {
    lines.push([
      { type: "bold", children: inline(field.name, names) },
      { type: "text", text: ": " },
      ...inline(field.value, names),
    ]);
  }
  if (embed.image?.url) lines.push([{ type: "link", url: embed.image.url, children: [] }]);
  if (embed.footer?.text)
    lines.push([{ type: "italic", children: [{ type: "text", text: embed.footer.text }] }]);
  if (lines.length === 0) return null;
  const children: RichText = [];
  lines.forEach((line, i) => {
    if (i > 0) children.push({ type: "text", text: "\n" });
    children.push(...line);
  });
  return { type: "quote", children };
}
