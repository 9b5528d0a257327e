// Third-party lookups for IRC: a client's room directory ("Explore rooms → IRC") asks for a channel and gets its
// portal alias; asks for a nick and gets the ghost. A lookup never joins the channel: the alias query that follows
// does, once someone actually goes there. The core drops channels the portal patterns leave out.

import { remoteRoomId, remoteUserId, type ThirdPartyLookup } from "bridge-core";
import { ircLower } from "./irc-connection.ts";

const CHANNEL = /^[#&][^\s,\x07\0\r\n:]{1,49}$/;
const NICK = /^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/;

export function ircThirdParty(options: { serverName: string; host: string }): ThirdPartyLookup {
  const { serverName, host } = options;
  const channelOf = (fields: Record<string, string>) => {
    const channel = fields["channel"] ?? "";
    // Element sends what the user typed, often without the #.
    const named = channel.startsWith("#") || channel.startsWith("&") ? channel : `#${channel}`;
    return CHANNEL.test(named) ? ircLower(named) : null;
  };
  return {
    protocol: {
      user_fields: ["nick"],
      location_fields: ["channel"],
      icon: "",
      field_types: {
        channel: { regexp: "[#&][^\\s,]+", placeholder: "#channel" },
        nick: { regexp: "[A-Za-z[\\]\\\\^_`{|}][A-Za-z0-9[\\]\\\\^_`{|}-]*", placeholder: "nick" },
      },
      instances: [{ desc: `${serverName} (${host})`, network_id: "irc", fields: {} }],
    },
    findRooms: async (fields) => {
      const channel = channelOf(fields);
      return channel === null ? [] : [{ id: remoteRoomId(channel), fields: { channel } }];
    },
    findUsers: async (fields) => {
      const nick = fields["nick"] ?? "";
      return NICK.test(nick) ? [{ id: remoteUserId(nick), fields: { nick } }] : [];
    },
    roomFields: async (id) => (CHANNEL.test(id) ? { channel: id } : null),
    userFields: async (id) => (NICK.test(id) ? { nick: id } : null),
  };
}
