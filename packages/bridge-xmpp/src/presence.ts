// XMPP presence in Matrix terms and back. XMPP has five shades of available (none, chat, away, xa, dnd) where
// Matrix has online and unavailable; an XMPP status text is Matrix's status message.

import { type Element, xml } from "@xmpp/xml";
import type { PresenceState } from "bridge-core";
import { xmlSafe } from "./xml-text.ts";

export interface PresenceInfo {
  state: PresenceState;
  statusMsg?: string;
}

/** A presence stanza's meaning; null for subscriptions, probes and errors, which say nothing about presence. */
export function readPresence(stanza: Element): PresenceInfo | null {
  const type = stanza.attrs["type"];
  if (stanza.name !== "presence" || (type !== undefined && type !== "unavailable")) return null;
  const status = stanza.getChildText("status")?.trim();
  const show = stanza.getChildText("show")?.trim();
  const state: PresenceState =
    type === "unavailable"
      ? "offline"
      : show === "away" || show === "xa" || show === "dnd"
        ? "unavailable"
        : "online";
  return { state, ...(status && { statusMsg: status }) };
}

/**
 * The presence a Matrix user's JID shows. In a MUC, `unavailable` would be leaving the room, so an offline Matrix
 * user stays there as extended away (`xa`) instead; a contact sees them go offline. Without `to`, it is an account's
 * broadcast to its roster.
 */
export function presenceStanza(
  options: { from: string; to?: string; inRoom: boolean } & PresenceInfo,
): Element {
  const offline = options.state === "offline";
  const show = options.state === "unavailable" ? "away" : offline && options.inRoom ? "xa" : undefined;
  return xml(
    "presence",
    {
      from: options.from,
      ...(options.to !== undefined && { to: options.to }),
      ...(offline && !options.inRoom && { type: "unavailable" }),
    },
    show !== undefined && xml("show", {}, show),
    options.statusMsg !== undefined && xml("status", {}, xmlSafe(options.statusMsg)),
  );
}
