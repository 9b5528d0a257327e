// The bridge's config file: a zod schema for the YAML as written (snake_case), and the typed, camelCase
// `BridgeConfig` the rest of the bridge uses, with defaults filled in and paths made absolute. Every object is strict
// so that a misspelt key is reported instead of silently falling back to a default; only `network.config` is
// free-form, because the network plugin validates it.

import { isIP } from "node:net";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { isUserId } from "../ids.ts";
import type { LogLevel } from "../log.ts";
import { templateProblem } from "../templates.ts";
import { type StoreConfig, storeSchema, toStoreConfig } from "./store-config.ts";

export type PermissionLevel = "user" | "admin";
export type LogFormat = "auto" | "pretty" | "json";

export interface BridgeConfig {
  homeserver: {
    /** Client-server API base URL, without a trailing slash. */
    url: string;
    /** The homeserver's server_name. */
    domain: string;
  };
  appservice: {
    id: string;
    bindAddress: string;
    port: number;
    botUsername: string;
    botDisplayname?: string;
    maxBodyBytes: number;
    /** Events queued for handling before transactions are answered later (pipeline/backpressure.ts). */
    maxBacklog?: number;
  };
  /** LevelDB or PostgreSQL (store-config.ts); `keyFile`: the key sealing stored credentials. */
  store: StoreConfig;
  /** `format`: pretty (readable lines), json, or auto (pretty when stderr is a terminal, JSON otherwise). */
  logging: { level: LogLevel; file?: string; format?: LogFormat };
  network: {
    /** A bare module specifier, or an absolute path when the config gave a path. */
    module: string;
    ghostTemplate?: string;
    aliasTemplate?: string;
    config: Record<string, unknown>;
  };
  bridge: {
    commandPrefix: string;
    /** Keys are "*", a server name, or a full user id. */
    permissions: Record<string, PermissionLevel>;
    /** How relayed messages read on the remote network: `{displayname}` and `{message}` are filled in. */
    relayTemplate: string;
    /** How long after handling events in a room the bridge reads its timeline back for events never delivered. */
    gapCheckSeconds: number;
    /** Whether portals are listed in the room directory (the server's and the network's). */
    publishPortals?: boolean;
  };
  /** Which remote rooms may get portals (see bridge/portal-policy.ts); no rules: every room. */
  portals?: { allow?: string[]; deny?: string[] };
  /** Double puppeting: the second, non-exclusive registration whose token lets the bridge act as local users. */
  doublePuppet?: { registrationPath: string };
  /**
   * End-to-end encryption (crypto/), in the mautrix bridges' terms. `allow`: the bridge reads and writes encrypted
   * rooms (off: it tells them it cannot, and pauses bridging there). `default`: portals and private chats it makes are
   * encrypted. `require`: messages that were not encrypted are not bridged, and the rooms it makes are encrypted.
   * Absent (a config built in code): as all three false.
   */
  encryption?: { allow: boolean; default: boolean; require: boolean };
  /** The provisioning API for integration managers; off without a secret. */
  provisioning?: { secret: string };
  metrics: { enabled: boolean };
  media: {
    /** Whether links remote users send may point into private or loopback networks (off: they are refused). */
    allowPrivateAddresses: boolean;
    /** Where remote users reach the bridge's listener, for links to Matrix media; unset: its own address. */
    publicUrl?: string;
    /** How long a media link stays valid; 0: for ever. */
    linkLifetimeSeconds: number;
    /** The largest file the media proxy passes on. */
    maxBytes: number;
  };
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A week: long enough to open a link from a conversation's scrollback, short enough that leaked links die. */
export const DEFAULT_MEDIA_LINK_LIFETIME_SECONDS = 7 * 24 * 3600;
export const DEFAULT_MEDIA_MAX_BYTES = 100 * 1024 * 1024;

const SERVER_NAME = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** An http(s) base URL the bridge appends paths to: no query, fragment or credentials. */
function isBaseUrl(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  return (
    url.search === "" && url.hash === "" && url.username === "" && url.password === "" && !value.includes("?")
  );
}

export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

const nonEmpty = z.string({ error: "expected a non-empty string" }).min(1);
const matching = (test: (v: string) => boolean, error: string) => z.string({ error }).refine(test, { error });
const template = z.string({ error: "expected a string" }).superRefine((value, ctx) => {
  const problem = templateProblem(value);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

/** A portal pattern: a glob over remote room ids, on one line. */
const portalPatterns = z
  .array(
    z
      .string({ error: 'expected a pattern such as "#matrix-*"' })
      .min(1, { error: "expected a non-empty pattern" })
      .max(1024, { error: "expected a pattern of at most 1024 characters" })
      .refine((v) => !/\p{Cc}/u.test(v), { error: "a pattern cannot contain control characters" }),
    { error: "expected a list of patterns" },
  )
  .optional();

export const rawConfigSchema = z.strictObject(
  {
    // Which layout the file is written in (config/upgrade.ts); keys it renamed are moved before this check.
    config_version: z.int({ error: "expected a whole number" }).min(1).optional(),
    homeserver: z.strictObject(
      {
        url: matching(isHttpUrl, "expected an http:// or https:// URL"),
        domain: matching((v) => SERVER_NAME.test(v), "expected a server name such as example.org"),
      },
      { error: "expected a mapping" },
    ),
    appservice: z.strictObject(
      {
        id: matching((v) => /^[a-z0-9_.-]+$/.test(v), "expected an id of the characters a-z 0-9 _ . -"),
        bind_address: matching(
          (v) => isIP(v) !== 0 || /^[A-Za-z0-9.-]+$/.test(v),
          "expected an IP address or a host name",
        ).default("127.0.0.1"),
        port: z.int({ error: "expected an integer from 1 to 65535" }).min(1).max(65535),
        bot_username: matching(
          (v) => LOCALPART.test(v),
          "expected a localpart of the characters a-z 0-9 . _ = - / +",
        ),
        bot_displayname: nonEmpty.optional(),
        max_body_bytes: z
          .int({ error: "expected a positive integer" })
          .positive()
          .default(DEFAULT_MAX_BODY_BYTES),
        max_backlog: z.int({ error: "expected a positive integer" }).positive().optional(),
      },
      { error: "expected a mapping" },
    ),
    store: storeSchema,
    logging: z
      .strictObject(
        {
          level: z
            .enum(["debug", "info", "warn", "error"], { error: "expected one of debug, info, warn, error" })
            .default("info"),
          file: nonEmpty.optional(),
          format: z
            .enum(["auto", "pretty", "json"], { error: "expected one of auto, pretty, json" })
            .default("auto"),
        },
        { error: "expected a mapping" },
      )
      .prefault({}),
    network: z.strictObject(
      {
        module: nonEmpty,
        ghost_template: template.optional(),
        alias_template: template.optional(),
        // An empty `config:` (every plugin setting commented out) reads as null; it means no settings.
        config: z.record(z.string(), z.unknown(), { error: "expected a mapping" }).nullable().default({}),
      },
      { error: "expected a mapping" },
    ),
    bridge: z
      .strictObject(
        {
          command_prefix: nonEmpty.default("!"),
          permissions: z
            .record(
              z.string().refine((k) => k === "*" || isUserId(k) || SERVER_NAME.test(k), {
                error: 'expected "*", a server name or a user id as the key',
              }),
              z.enum(["user", "admin"], { error: 'expected "user" or "admin"' }),
              { error: "expected a mapping" },
            )
            .optional(),
          relay_template: z
            .string({ error: "expected a string" })
            .refine((v) => v.includes("{message}"), { error: "must contain {message}" })
            .default("{displayname}: {message}"),
          gap_check_seconds: z
            .number({ error: "expected a number of seconds" })
            .positive({ error: "must be more than 0" })
            .default(30),
          publish_portals: z.boolean({ error: "expected true or false" }).default(false),
        },
        { error: "expected a mapping" },
      )
      .prefault({}),
    portals: z
      .strictObject({ allow: portalPatterns, deny: portalPatterns }, { error: "expected a mapping" })
      .prefault({}),
    double_puppet: z.strictObject({ registration: nonEmpty }, { error: "expected a mapping" }).optional(),
    encryption: z
      .strictObject(
        {
          allow: z.boolean({ error: "expected true or false" }).default(false),
          default: z.boolean({ error: "expected true or false" }).default(false),
          require: z.boolean({ error: "expected true or false" }).default(false),
        },
        { error: "expected a mapping" },
      )
      .refine((e) => e.allow || (!e.default && !e.require), {
        error: "default and require need allow: true (the bridge cannot use encrypted rooms otherwise)",
      })
      .prefault({}),
    provisioning: z
      .strictObject(
        {
          secret: z
            .string({ error: "expected a string" })
            .min(32, { error: "must be at least 32 characters" }),
        },
        { error: "expected a mapping" },
      )
      .optional(),
    metrics: z
      .strictObject(
        { enabled: z.boolean({ error: "expected true or false" }).default(true) },
        { error: "expected a mapping" },
      )
      .prefault({}),
    media: z
      .strictObject(
        {
          allow_private_addresses: z.boolean({ error: "expected true or false" }).default(false),
          public_url: matching(
            isBaseUrl,
            "expected an http:// or https:// URL without query, fragment or credentials",
          ).optional(),
          link_lifetime_seconds: z
            .int({ error: "expected a whole number of seconds (0: links never expire)" })
            .min(0, { error: "expected a whole number of seconds (0: links never expire)" })
            .default(DEFAULT_MEDIA_LINK_LIFETIME_SECONDS),
          max_bytes: z
            .int({ error: "expected a positive integer" })
            .positive({ error: "expected a positive integer" })
            .default(DEFAULT_MEDIA_MAX_BYTES),
        },
        { error: "expected a mapping" },
      )
      .prefault({}),
  },
  { error: "expected a mapping of settings" },
);

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** Relative paths in the config mean relative to the config file, not to wherever the bridge was started from. */
export function toBridgeConfig(raw: RawConfig, baseDir: string): BridgeConfig {
  const {
    homeserver,
    appservice,
    store,
    logging,
    network,
    bridge,
    portals,
    double_puppet,
    encryption,
    provisioning,
    metrics,
    media,
  } = raw;
  const isPath = (specifier: string) => specifier.startsWith(".") || isAbsolute(specifier);
  return {
    homeserver: { url: homeserver.url.replace(/\/+$/, ""), domain: homeserver.domain },
    appservice: {
      id: appservice.id,
      bindAddress: appservice.bind_address,
      port: appservice.port,
      botUsername: appservice.bot_username,
      ...(appservice.bot_displayname !== undefined && { botDisplayname: appservice.bot_displayname }),
      maxBodyBytes: appservice.max_body_bytes,
      ...(appservice.max_backlog !== undefined && { maxBacklog: appservice.max_backlog }),
    },
    store: toStoreConfig(store, baseDir),
    logging: {
      level: logging.level,
      ...(logging.file !== undefined && { file: resolve(baseDir, logging.file) }),
      format: logging.format,
    },
    network: {
      module: isPath(network.module) ? resolve(baseDir, network.module) : network.module,
      ...(network.ghost_template !== undefined && { ghostTemplate: network.ghost_template }),
      ...(network.alias_template !== undefined && { aliasTemplate: network.alias_template }),
      config: network.config ?? {},
    },
    bridge: {
      commandPrefix: bridge.command_prefix,
      // Without a permissions section only users of the bridge's own homeserver may use it: opening a bridge to the
      // whole federation should be a deliberate choice.
      permissions: bridge.permissions ?? { [homeserver.domain]: "user" },
      relayTemplate: bridge.relay_template,
      gapCheckSeconds: bridge.gap_check_seconds,
      publishPortals: bridge.publish_portals,
    },
    ...((portals.allow !== undefined || portals.deny !== undefined) && {
      portals: {
        ...(portals.allow !== undefined && { allow: portals.allow }),
        ...(portals.deny !== undefined && { deny: portals.deny }),
      },
    }),
    ...(double_puppet !== undefined && {
      doublePuppet: { registrationPath: resolve(baseDir, double_puppet.registration) },
    }),
    encryption: { allow: encryption.allow, default: encryption.default, require: encryption.require },
    ...(provisioning !== undefined && { provisioning: { secret: provisioning.secret } }),
    metrics: { enabled: metrics.enabled },
    media: {
      allowPrivateAddresses: media.allow_private_addresses,
      ...(media.public_url !== undefined && { publicUrl: media.public_url.replace(/\/+$/, "") }),
      linkLifetimeSeconds: media.link_lifetime_seconds,
      maxBytes: media.max_bytes,
    },
  };
}
