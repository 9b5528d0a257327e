// How the bridge names XMPP things in the core's model. A MUC's remote room id is `<room>_<muc domain>` (so its portal
// alias is `#xmpp_<room>_<muc domain>:example.org`): a domain never holds `_`, so the last one splits the two parts.
// A remote user is the bare JID of a 1:1 contact, or the occupant JID `room@muc/nick` of someone in a MUC.

import { type RemoteRoomId, type RemoteUserId, remoteRoomId, remoteUserId } from "bridge-core";
import { bareJid, fullJid, type Jid, parseJid } from "./jid.ts";

// Characters RFC 7622 forbids in a local part (besides controls and spaces).
const LOCAL = /^[^\s"&'/:<>@\x00-\x1f\x7f]{1,1023}$/u;
const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The MUC a remote room id stands for, or null when the id is not one. */
export function mucOf(id: string): Jid | null {
  const split = id.lastIndexOf("_");
  if (split === -1) return null;
  const local = id.slice(0, split);
  const domain = id.slice(split + 1);
  // Servers fold room names to lower case; only the folded spelling is an id, so one MUC never has two portals.
  if (!LOCAL.test(local) || local !== local.toLowerCase() || !DOMAIN.test(domain)) return null;
  return { local, domain, resource: "" };
}

/** `room@muc.example.org` → `room_muc.example.org`. */
export function roomIdOf(muc: Jid): RemoteRoomId {
  return remoteRoomId(`${muc.local}_${muc.domain}`);
}

/** The JID a remote user id stands for (a bare contact JID or an occupant JID), or null. */
export function jidOfUser(id: RemoteUserId): Jid | null {
  return parseJid(id);
}

export function userIdOf(jid: Jid): RemoteUserId {
  return remoteUserId(jid.resource === "" ? bareJid(jid) : fullJid(jid));
}
