// What a received message stanza means, read into plain data: which XEPs it uses, which message it refers to, and
// when it was really sent. Pure, so every shape a server or client may send is covered by unit tests.

import type { Element } from "@xmpp/xml";
import { type Jid, parseJid } from "./jid.ts";
import { NS } from "./namespaces.ts";

export interface StanzaError {
  /** The defined condition, e.g. `conflict`, `forbidden`, `not-authorized`. */
  condition: string;
  text?: string;
}

interface Common {
  from: Jid;
  to: Jid;
  type: string;
  /** The sender's own id for the message. */
  id?: string;
  /** The id the room (or the recipient's server) gave it (XEP-0359), which every occupant sees alike. */
  stanzaId?: string;
  /** From a `<delay>`: history replayed on join, or a message held while offline. */
  sentAt?: number;
}

export type IncomingMessage =
  | (Common & { kind: "text"; body: string; replyTo?: string; oobUrl?: string })
  | (Common & { kind: "correction"; target: string; body: string })
  | (Common & { kind: "retraction"; target: string })
  | (Common & { kind: "reactions"; target: string; keys: string[] })
  | (Common & { kind: "chat-state"; state: string })
  | (Common & { kind: "displayed"; target: string })
  | (Common & { kind: "subject"; subject: string })
  | (Common & { kind: "error"; error: StanzaError });

const CHAT_STATES = ["active", "composing", "paused", "inactive", "gone"];

/** The stanza's error, if it is an error stanza. */
export function stanzaError(stanza: Element): StanzaError | null {
  if (stanza.attrs["type"] !== "error") return null;
  const error = stanza.getChild("error");
  const condition = error
    ?.getChildElements()
    .find((el) => el.attrs["xmlns"] === NS.stanzas && el.name !== "text");
  const text = error?.getChildText("text", NS.stanzas) ?? undefined;
  return { condition: condition?.name ?? "undefined-condition", ...(text ? { text } : {}) };
}

/** Reads a `<message>`; null for one without anything the bridge carries (or without valid addresses). */
export function readMessage(stanza: Element, roomJid?: (from: Jid) => string): IncomingMessage | null {
  const from = parseJid(stanza.attrs["from"] ?? "");
  const to = parseJid(stanza.attrs["to"] ?? "");
  if (stanza.name !== "message" || from === null || to === null) return null;
  const type = stanza.attrs["type"] ?? "normal";
  // Only the id the room itself (or, in a 1:1 chat, our own server) stamped can be trusted: anyone can put a
  // stanza-id into their message, so one claiming another `by` is ignored.
  const by = roomJid?.(from) ?? `${to.local}@${to.domain}`;
  const stanzaId = stanza.getChildren("stanza-id", NS.stanzaId).find((el) => el.attrs["by"] === by)?.attrs[
    "id"
  ];
  const stamp = stanza.getChild("delay", NS.delay)?.attrs["stamp"];
  const sentAt = stamp === undefined ? Number.NaN : Date.parse(stamp);
  const common: Common = {
    from,
    to,
    type,
    ...(stanza.attrs["id"] !== undefined && { id: stanza.attrs["id"] }),
    ...(stanzaId !== undefined && { stanzaId }),
    ...(!Number.isNaN(sentAt) && { sentAt }),
  };
  const error = stanzaError(stanza);
  if (error !== null) return { ...common, kind: "error", error };

  const body = stanza.getChildText("body");
  const replace = stanza.getChild("replace", NS.correction)?.attrs["id"];
  if (replace !== undefined && body !== null) return { ...common, kind: "correction", target: replace, body };

  const retract =
    stanza.getChild("retract", NS.retract)?.attrs["id"] ??
    (stanza.getChild("apply-to", NS.fasten)?.getChild("retract", NS.retractLegacy) &&
      stanza.getChild("apply-to", NS.fasten)?.attrs["id"]);
  if (retract) return { ...common, kind: "retraction", target: retract };

  const reactions = stanza.getChild("reactions", NS.reactions);
  const reactionsTarget = reactions?.attrs["id"];
  if (reactions !== undefined && reactionsTarget !== undefined) {
    const keys = reactions.getChildren("reaction").map((el) => el.text());
    return { ...common, kind: "reactions", target: reactionsTarget, keys: [...new Set(keys)] };
  }

  if (body !== null) {
    const reply = stanza.getChild("reply", NS.reply)?.attrs["id"];
    const oobUrl = stanza.getChild("x", NS.oob)?.getChildText("url") ?? undefined;
    return {
      ...common,
      kind: "text",
      body: withoutReplyFallback(stanza, body),
      ...(reply !== undefined && { replyTo: reply }),
      ...(oobUrl && { oobUrl }),
    };
  }

  // XEP-0333: the sender has read everything up to `target` (a room's stanza-id in a MUC).
  const displayed = stanza.getChild("displayed", NS.chatMarkers)?.attrs["id"];
  if (displayed) return { ...common, kind: "displayed", target: displayed };

  // A subject message carries no body (one with a body is an ordinary message that also sets the subject).
  const subject = stanza.getChild("subject");
  if (subject !== undefined && type === "groupchat")
    return { ...common, kind: "subject", subject: subject.text() };

  const state = stanza.getChildElements().find((el) => el.attrs["xmlns"] === NS.chatStates);
  if (state !== undefined && CHAT_STATES.includes(state.name))
    return { ...common, kind: "chat-state", state: state.name };
  return null;
}

/**
 * A reply's body starts with a quote of the original for clients without XEP-0461; an XEP-0428 fallback element marks
 * which characters, and those are left out since Matrix shows the original itself.
 */
function withoutReplyFallback(stanza: Element, body: string): string {
  const fallback = stanza.getChildren("fallback", NS.fallback).find((el) => el.attrs["for"] === NS.reply);
  const range = fallback?.getChild("body");
  const start = Number(range?.attrs["start"] ?? Number.NaN);
  const end = Number(range?.attrs["end"] ?? Number.NaN);
  const chars = [...body];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > chars.length || start >= end)
    return body;
  // XEP-0428 counts Unicode code points.
  return [...chars.slice(0, start), ...chars.slice(end)].join("");
}
