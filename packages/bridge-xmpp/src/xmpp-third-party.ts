// Third-party lookups for XMPP: a client's room directory asks for a MUC (`room@conference.example.org`) and gets its
// portal alias; asks for a JID and gets the ghost. A lookup never joins the MUC: the alias query that follows does.
// The core drops MUCs the portal patterns leave out.

import type { ThirdPartyLookup } from "bridge-core";
import { bareJid, parseJid } from "./jid.ts";
import { jidOfUser, mucOf, roomIdOf, userIdOf } from "./room-ids.ts";

export function xmppThirdParty(options: { desc: string }): ThirdPartyLookup {
  return {
    protocol: {
      user_fields: ["jid"],
      location_fields: ["room"],
      icon: "",
      field_types: {
        room: { regexp: "[^@\\s]+@[^@\\s/]+", placeholder: "room@conference.example.org" },
        jid: { regexp: "[^@\\s]+@[^@\\s]+", placeholder: "user@example.org" },
      },
      instances: [{ desc: options.desc, network_id: "xmpp", fields: {} }],
    },
    findRooms: async (fields) => {
      const jid = parseJid((fields["room"] ?? "").trim());
      if (jid === null || jid.local === "" || jid.resource !== "") return [];
      // Servers fold room names to lower case, and so do the bridge's ids.
      const id = roomIdOf({ local: jid.local.toLowerCase(), domain: jid.domain, resource: "" });
      const muc = mucOf(id);
      return muc === null ? [] : [{ id, fields: { room: bareJid(muc) } }];
    },
    findUsers: async (fields) => {
      const jid = parseJid((fields["jid"] ?? "").trim());
      return jid === null || jid.local === "" ? [] : [{ id: userIdOf(jid), fields: { jid: bareJid(jid) } }];
    },
    roomFields: async (id) => {
      const muc = mucOf(id);
      return muc === null ? null : { room: bareJid(muc) };
    },
    userFields: async (id) => {
      const jid = jidOfUser(id);
      return jid === null ? null : { jid: bareJid(jid) };
    },
  };
}
