// The IRC lines a Matrix message goes out as: its text in IRC formatting (or a file's name and a link anyone can
// open) after a quote of the message it answers, split to fit the line budget — with the relayed sender's marks on
// every line and every piece of one — and a paste of many lines as its first line and a link to the whole text.

import {
  type MatrixMessage,
  type NetworkContext,
  plainText,
  type RemoteUserId,
  singleLine,
} from "bridge-core";
import { splitMessage, splitRelayed } from "./formatting/lines.ts";
import { richTextToIrc } from "./formatting/rich-text-to-irc.ts";

export interface OutgoingLineInputs {
  /** Bytes of text one line may carry after its prefix, command and target. */
  budget: number;
  /** Past this many lines of its own, a message goes out as a link. */
  maxLines: number;
  /** The IRC nick of a mentioned remote user, or null to write the mention's name. */
  mentionedNick(user: RemoteUserId): string | null;
  media: Pick<NetworkContext["media"], "uploadWithLink">;
}

/** The longest start of a paste shown before the link to all of it, in code points. */
const PASTE_PREVIEW = 100;

/** IRC has no replies: the message answered is quoted on a line of its own, "> <author> its first line". */
function quoteLine(reply: NonNullable<MatrixMessage["reply"]>): string {
  return `> <${singleLine(reply.author)}> ${singleLine(reply.text)}`;
}

export async function outgoingLines(message: MatrixMessage, inputs: OutgoingLineInputs): Promise<string[]> {
  const { budget } = inputs;
  const content = message.media
    ? // The file name is the sender's free text: on one line, or it could start an IRC line of its own.
      `${singleLine(message.media.filename)}: ${message.media.link()}`
    : richTextToIrc(message.text, { mentionedNick: (user) => inputs.mentionedNick(user) });
  const text = message.reply === undefined ? content : `${quoteLine(message.reply)}\n${content}`;
  const marks = message.as.kind === "relay" ? message.as.marks : undefined;
  const split = (irc: string) =>
    marks === undefined
      ? splitMessage(irc, budget, { carryFormatting: true })
      : splitRelayed(irc, budget, marks);
  // A paste of many lines would flood the channel. A long paragraph is one line of its own and goes out whole.
  if (text.split("\n").length <= inputs.maxLines) return split(text);
  // The file holds the text as written, blank lines included (IRC has no empty lines, so `text` lost them).
  const written = message.media ? content : plainText(message.text);
  const link = await inputs.media.uploadWithLink(
    new TextEncoder().encode(
      message.reply === undefined ? written : `${quoteLine(message.reply)}\n${written}`,
    ),
    "text/plain; charset=utf-8",
    "message.txt",
  );
  const first = [...(text.split("\n")[0] ?? "")];
  const preview =
    first.length > PASTE_PREVIEW ? `${first.slice(0, PASTE_PREVIEW).join("")}…` : first.join("");
  return split(`${preview} (full message: ${link})`);
}
