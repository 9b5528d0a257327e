// The body a Matrix message or correction goes out with: its rich text as XEP-0393 styling, an emote as `/me`, and,
// relayed through the bot, the sender's relay marks on every line (an emote as `* Name` on every line instead, since
// `/me` would name the bot). A reply whose original never reached XMPP starts with a quote of it.

import { type MatrixMessage, type RichText, withRelayMarks } from "bridge-core";
import { type MentionName, richToStyling } from "./rich-to-styling.ts";

export function outgoingBody(
  message: Pick<MatrixMessage, "kind" | "text" | "as" | "reply">,
  mentionName?: MentionName,
): string {
  const { as, kind, reply } = message;
  const quote: RichText =
    reply !== undefined && reply.to === undefined
      ? [{ type: "quote", children: [{ type: "text", text: `<${reply.author}> ${reply.text}` }] }]
      : [];
  const rich = [...quote, ...message.text];
  if (as.kind === "relay") {
    const marks =
      kind === "emote" ? { ...as.marks, before: `* ${as.marks.displayName} `, after: "" } : as.marks;
    return richToStyling(withRelayMarks(rich, marks), mentionName);
  }
  const body = richToStyling(rich, mentionName);
  return kind === "emote" ? `/me ${body}` : body;
}

/** The body of a file: its link, as XEP-0066 wants it (clients show the file inline), relayed with the marks. */
export function fileBody(url: string, as: MatrixMessage["as"]): string {
  return as.kind === "relay" ? `${as.marks.before}${url}${as.marks.after}` : url;
}
