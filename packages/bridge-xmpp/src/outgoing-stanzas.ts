// Stanzas the bridge sends, built with @xmpp/xml's element builders only: every text and attribute value goes
// through the builder's escaping (and first through xmlSafe for what XML cannot carry at all), so nothing a Matrix
// user writes can close an element or open a new one.

import { type Element, xml } from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import { xmlSafe } from "./xml-text.ts";

export type MessageType = "groupchat" | "chat";

interface Addressing {
  from: string;
  to: string;
  type: MessageType;
  id: string;
}

/** A text message; `replace` makes it an XEP-0308 correction, `reply` an XEP-0461 reply. */
export function textMessage(
  options: Addressing & {
    body: string;
    replace?: string;
    reply?: { to?: string; id: string };
    /** An XEP-0066 link to a file, also written into the body for clients without it. */
    oobUrl?: string;
  },
): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: options.type, id: options.id },
    xml("body", {}, xmlSafe(options.body)),
    xml("origin-id", { xmlns: NS.stanzaId, id: options.id }),
    options.replace !== undefined && xml("replace", { xmlns: NS.correction, id: options.replace }),
    options.reply !== undefined &&
      xml("reply", {
        xmlns: NS.reply,
        id: options.reply.id,
        ...(options.reply.to && { to: options.reply.to }),
      }),
    options.oobUrl !== undefined && xml("x", { xmlns: NS.oob }, xml("url", {}, xmlSafe(options.oobUrl))),
    xml("active", { xmlns: NS.chatStates }),
  );
}

/** An XEP-0424 retraction of message `target`, with a fallback body for clients that do not know it. */
export function retraction(options: Addressing & { target: string }): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: options.type, id: options.id },
    xml("retract", { xmlns: NS.retract, id: options.target }),
    xml("fallback", { xmlns: NS.fallback, for: NS.retract }),
    xml(
      "body",
      {},
      "This person attempted to retract a previous message, but it's unsupported by your client.",
    ),
    xml("store", { xmlns: NS.hints }),
  );
}

/** An XEP-0444 reaction update: the sender's whole set of reactions to `target` (empty takes them all back). */
export function reactions(options: Addressing & { target: string; keys: string[] }): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: options.type, id: options.id },
    xml(
      "reactions",
      { xmlns: NS.reactions, id: options.target },
      ...options.keys.map((key) => xml("reaction", {}, xmlSafe(key))),
    ),
    xml("store", { xmlns: NS.hints }),
  );
}

export type ChatState = "composing" | "paused" | "active";

/** An XEP-0085 chat state notification. */
export function chatState(options: Addressing & { state: ChatState }): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: options.type, id: options.id },
    xml(options.state, { xmlns: NS.chatStates }),
    xml("no-store", { xmlns: NS.hints }),
  );
}

/** An XEP-0333 marker: everything up to message `target` has been read. */
export function displayedMarker(options: Addressing & { target: string }): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: options.type, id: options.id },
    xml("displayed", { xmlns: NS.chatMarkers, id: options.target }),
    xml("store", { xmlns: NS.hints }),
  );
}

/** A MUC subject change. */
export function subjectChange(options: Omit<Addressing, "type"> & { subject: string }): Element {
  return xml(
    "message",
    { from: options.from, to: options.to, type: "groupchat", id: options.id },
    xml("subject", {}, xmlSafe(options.subject)),
  );
}

/**
 * Joining a MUC as `occupant` (`room@muc/nick`). `history` says how much of the room's history to replay: a number of
 * messages, or everything since a moment.
 */
export function mucJoin(options: {
  from: string;
  occupant: string;
  history: { maxstanzas: number } | { since: Date };
}): Element {
  const history =
    "since" in options.history
      ? { since: options.history.since.toISOString() }
      : { maxstanzas: String(options.history.maxstanzas) };
  return xml(
    "presence",
    { from: options.from, to: options.occupant },
    xml("x", { xmlns: NS.muc }, xml("history", history)),
  );
}

export function mucLeave(options: { from: string; occupant: string; status?: string }): Element {
  return xml(
    "presence",
    { from: options.from, to: options.occupant, type: "unavailable" },
    options.status !== undefined && xml("status", {}, xmlSafe(options.status)),
  );
}

/** A disco#info query, which also tells whether a MUC exists. */
export function discoInfo(options: { from: string; to: string; id: string }): Element {
  return xml("iq", { ...options, type: "get" }, xml("query", { xmlns: NS.discoInfo }));
}

/** A disco#items query: which services a server offers. */
export function discoItems(options: { from: string; to: string; id: string }): Element {
  return xml("iq", { ...options, type: "get" }, xml("query", { xmlns: NS.discoItems }));
}

/** An XEP-0363 request for an upload slot. */
export function uploadSlotRequest(options: {
  from: string;
  to: string;
  id: string;
  filename: string;
  size: number;
  contentType: string;
}): Element {
  return xml(
    "iq",
    { from: options.from, to: options.to, id: options.id, type: "get" },
    xml("request", {
      xmlns: NS.httpUpload,
      filename: xmlSafe(options.filename) || "file",
      size: String(options.size),
      "content-type": xmlSafe(options.contentType),
    }),
  );
}

/**
 * A MUC moderation request (XEP-0045 §8–9): a role for a nick (`none` kicks, `moderator` gives a voice over others), or
 * an affiliation for a JID (`outcast` bans).
 */
export function mucAdmin(options: {
  from: string;
  room: string;
  id: string;
  item:
    | { nick: string; role: "none" | "participant" | "moderator" }
    | { jid: string; affiliation: "outcast" };
  reason?: string;
}): Element {
  return xml(
    "iq",
    { from: options.from, to: options.room, type: "set", id: options.id },
    xml(
      "query",
      { xmlns: NS.mucAdmin },
      xml("item", options.item, options.reason !== undefined && xml("reason", {}, xmlSafe(options.reason))),
    ),
  );
}
