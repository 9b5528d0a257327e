// A Matrix user's message as the bot writes it in relay mode: the configured template (Telegram HTML with
// `{displayname}` and `{message}`) around the message. The template is read once into runs with a placeholder
// character where each field goes, then the fields are put in as runs, so neither a name nor a message is ever read
// as markup, and a field inherits the template's formatting around it (`<b>{displayname}</b>`).

import { htmlToRuns } from "./html-to-runs.ts";
import { normalizeRuns, type Run } from "./rich-text.ts";

const NAME = "\uE000";
const MESSAGE = "\uE001";

export class RelayTemplate {
  private readonly runs: Run[];

  constructor(template: string) {
    const marked = template.replace(/\{(displayname|message)\}/g, (_, key: string) =>
      key === "displayname" ? NAME : MESSAGE,
    );
    this.runs = htmlToRuns(marked, { newlines: "keep" });
  }

  fill(displayName: string, message: readonly Run[]): Run[] {
    const out: Run[] = [];
    for (const run of this.runs) {
      for (const piece of run.text.split(/([\uE000\uE001])/)) {
        if (piece === NAME) out.push({ text: displayName, marks: run.marks });
        else if (piece === MESSAGE)
          out.push(...message.map((m) => ({ text: m.text, marks: [...run.marks, ...m.marks] })));
        else out.push({ text: piece, marks: run.marks });
      }
    }
    return normalizeRuns(out);
  }
}

/** An emote by a relayed user: "* Name waves". */
export function relayedEmote(displayName: string, message: readonly Run[]): Run[] {
  return normalizeRuns([{ text: `* ${displayName} `, marks: [] }, ...message]);
}
