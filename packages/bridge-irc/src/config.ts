// The IRC plugin's settings (`network.config` in the bridge's config), checked when the plugin is built so that a
// mistake names its key instead of failing later on the wire.

import { z } from "zod";

const nick = z
  .string()
  .regex(/^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,29}$/, { error: "expected an IRC nick" });

export const ircConfigSchema = z.strictObject({
  server: z.strictObject({
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(6667),
    tls: z.boolean().default(false),
    /** Shown in m.bridge and messages. */
    name: z.string().min(1).default("IRC"),
  }),
  bot: z
    .strictObject({
      nick: nick.default("MatrixBridge"),
      username: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,10}$/)
        .default("matrix"),
      realname: z.string().min(1).default("Matrix bridge"),
    })
    .prefault({}),
  /** puppets: every Matrix user gets their own IRC connection; relay: the bot speaks for everyone. */
  mode: z.enum(["puppets", "relay"]).default("puppets"),
  puppets: z
    .strictObject({
      /** `{localpart}` is filled in from the Matrix user id, then made a valid nick. */
      nick_template: z.string().includes("{localpart}").default("{localpart}[m]"),
      /** Beyond this many puppet connections, further users are relayed by the bot. */
      max_connections: z.int().min(0).default(100),
      /**
       * A puppet with no Matrix activity for this long quits, freeing its place under the cap; it connects again
       * when its user next needs it. 0 keeps puppets connected for good.
       */
      idle_timeout_minutes: z.number().min(0).default(0),
      /**
       * New puppet connections started per second, across all rooms: servers refuse or penalise a host that opens
       * connections faster than their connect class allows, and a restart or a busy portal can ask for hundreds at once.
       */
      connections_per_second: z.number().positive().default(50),
    })
    .prefault({}),
  /**
   * How long a user who left in a netsplit (a QUIT naming two servers) may take to come back before the leave is
   * bridged; most splits heal within a minute, and bridging them would churn every portal's member list twice.
   */
  netsplit_grace_seconds: z.number().min(0).default(60),
  /** The longest wait between two attempts to reach the IRC server again after losing it. */
  reconnect_max_wait_seconds: z.number().min(1).default(60),
  passwords: z
    .strictObject({
      /**
       * The key stored NickServ/SASL passwords were sealed with before the bridge sealed every credential with its
       * own key (`store.key_file`): read only, never made, so that those passwords still open; each moves to the
       * bridge's key the first time it is used. Users can store passwords without it.
       */
      key_file: z.string().min(1).optional(),
    })
    .prefault({}),
  /**
   * Lines a channel's history replays to the bot when it joins (InspIRCd's chanhistory, channel mode +H) are what
   * was said while the bridge was away; the ones not bridged yet are bridged, told apart by their msgid.
   */
  channel_history: z
    .strictObject({
      /** Bridge replayed lines; off, only what the bot sees live is bridged. */
      replay: z.boolean().default(true),
      /**
       * Where the server offers mode +H, the bot sets it to this (`lines:duration`, e.g. `100:1d`) on bridged
       * channels that lack it and where it is an operator. Unset, channels keep whatever their operators chose.
       */
      set_mode: z
        .string()
        .regex(/^[1-9][0-9]{0,5}:([0-9]+[smhdwy]?)+$/, { error: "expected lines:duration, e.g. 100:1d" })
        .optional(),
    })
    .prefault({}),
  /** How long the channel's operators have to answer when a Matrix room asks to be linked to it. */
  link_approval_seconds: z.number().min(1).default(120),
  /** Longer messages than this many lines go out as a link to an uploaded text file. */
  max_lines: z.int().min(1).default(5),
  /**
   * Obsolete, ignored with a warning at start: links pointed at the homeserver, which serves media only to Matrix
   * users now. Links point at the bridge's media proxy, under the bridge config's `media.public_url`.
   */
  media_url: z.string().optional(),
});

export type IrcConfig = z.infer<typeof ircConfigSchema>;

/**
 * Several servers in one bridge: each entry is the single-server settings plus the key that prefixes its remote ids
 * (`libera.#chan`), so the key must stay within what a Matrix localpart and alias keep unescaped and must never
 * change once portals exist.
 */
export const multiServerConfigSchema = z.strictObject({
  servers: z
    .array(
      ircConfigSchema.extend({
        key: z.string().regex(/^[a-z0-9-]+$/, { error: "expected a key of a-z, 0-9 and -" }),
      }),
    )
    .min(1)
    .superRefine((servers, ctx) => {
      const seen = new Set<string>();
      servers.forEach((server, index) => {
        if (seen.has(server.key)) {
          ctx.addIssue({
            code: "custom",
            path: [index, "key"],
            message: `key "${server.key}" is used twice`,
          });
        }
        seen.add(server.key);
      });
    }),
});

export type MultiServerIrcConfig = z.infer<typeof multiServerConfigSchema>;
export type IrcServerEntry = MultiServerIrcConfig["servers"][number];

/** The multi-server form is the one with a `servers` list; anything else is read as the single-server form. */
export function isMultiServerConfig(raw: Record<string, unknown>): boolean {
  return Object.hasOwn(raw, "servers");
}

function parseWith<T>(schema: z.ZodType<T>, raw: Record<string, unknown>): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `network.config.${i.path.join(".")}: ${i.message}`);
  throw new Error(`invalid IRC settings:\n${problems.join("\n")}`);
}

export function parseIrcConfig(raw: Record<string, unknown>): IrcConfig {
  return parseWith(ircConfigSchema, raw);
}

export function parseMultiServerIrcConfig(raw: Record<string, unknown>): MultiServerIrcConfig {
  return parseWith(multiServerConfigSchema, raw);
}
