// The IRC lines a Matrix message goes out as: its text in IRC formatting (or a file's name and a link anyone can
// open), split to fit the line budget — with the relayed sender's name on every line — and a paste of many lines as
// its first line and a link to the whole text.

import { type MatrixMessage, type NetworkContext, singleLine } from "bridge-core";
import { splitMessage, splitRelayed } from "./formatting/lines.ts";
import { matrixToIrc } from "./formatting/matrix-to-irc.ts";

export interface OutgoingLineInputs {
  /** Bytes of text one line may carry after its prefix, command and target. */
  budget: number;
  /** Past this many lines of its own, a message goes out as a link. */
  maxLines: number;
  /** The IRC nick for a Matrix pill, or null to keep the pill's text. */
  mentionedNick(userId: string): string | null;
  media: Pick<NetworkContext["media"], "publicLink" | "uploadWithLink">;
}

export async function outgoingLines(message: MatrixMessage, inputs: OutgoingLineInputs): Promise<string[]> {
  const { budget } = inputs;
  const text = message.media
    ? // The homeserver gives files only to Matrix users, so the link is the bridge's own (its media proxy). The file
      // name is the sender's free text: on one line, or it could start an IRC line of its own.
      `${singleLine(message.media.filename)}: ${inputs.media.publicLink(message.media.url, message.media.filename)}`
    : matrixToIrc(
        { body: message.body, ...(message.html !== undefined && { html: message.html }) },
        { resolveMention: (userId) => inputs.mentionedNick(userId) },
      );
  // A relayed line too long for IRC goes out as several, each with the sender's name (see splitRelayed). A relayed
  // file's line (the core put the name into the body, which a file does not go out as) gets it too.
  const { relayWrap } = message;
  const lines =
    relayWrap === undefined
      ? splitMessage(text, budget, { carryFormatting: true })
      : splitRelayed(message.media ? relayWrap.before + text + relayWrap.after : text, budget, relayWrap);
  // A paste of many lines would flood the channel. A long paragraph is one line of its own and goes out whole.
  if (text.split("\n").length <= inputs.maxLines) return lines;
  const link = await inputs.media.uploadWithLink(
    new TextEncoder().encode(text),
    "text/plain; charset=utf-8",
    "message.txt",
  );
  const first = lines[0] ?? "";
  return splitMessage(
    `${first.length > 100 ? `${first.slice(0, 100)}…` : first} (full message: ${link})`,
    budget,
  );
}
