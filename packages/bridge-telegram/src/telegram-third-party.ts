// Third-party lookups for Telegram: a client's room directory asks for a group by its chat id (`-100…`) or a public
// group's @username and gets its portal alias. A bot can only see chats it is in (and public ones by name), so the
// lookup asks Telegram (getChat) and offers only groups the bridge could make a portal for. The core drops chats the
// portal patterns leave out.

import type { ThirdPartyLookup } from "bridge-core";
import { chatIdOf, chatRoomId, telegramUserId, userIdOf } from "./telegram-ids.ts";

/** The chat's id and title, or null when Telegram does not show it to the bot or it is not a group. */
export type ChatLookup = (chat: number | string) => Promise<{ id: number; title?: string } | null>;

const USERNAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/;

export function telegramThirdParty(lookup: ChatLookup): ThirdPartyLookup {
  return {
    protocol: {
      user_fields: ["user_id"],
      location_fields: ["chat"],
      icon: "",
      field_types: {
        chat: { regexp: "-?[0-9]+|@[A-Za-z][A-Za-z0-9_]+", placeholder: "-1001234567890 or @publicgroup" },
        user_id: { regexp: "[0-9]+", placeholder: "123456789" },
      },
      instances: [{ desc: "Telegram", network_id: "telegram", fields: {} }],
    },
    findRooms: async (fields) => {
      const asked = (fields["chat"] ?? "").trim();
      const chat = chatIdOf(asked) ?? (USERNAME.test(asked) ? asked : null);
      if (chat === null) return [];
      const found = await lookup(chat).catch(() => null);
      if (found === null) return [];
      const id = chatRoomId(found.id);
      return [{ id, fields: { chat: id, ...(found.title !== undefined && { title: found.title }) } }];
    },
    findUsers: async (fields) => {
      const id = userIdOf(fields["user_id"] ?? "");
      return id === null || id < 0 ? [] : [{ id: telegramUserId(id), fields: { user_id: String(id) } }];
    },
    roomFields: async (id) => (chatIdOf(id) === null ? null : { chat: id }),
    userFields: async (id) => (userIdOf(id) === null ? null : { user_id: id }),
  };
}
