// The application service registration file (Matrix spec, application service API): it tells the homeserver where
// the bridge listens, which user ids and aliases it owns, and the two shared tokens. The file holds secrets, so it is
// written readable by its owner only and token values never appear in error messages.

import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify } from "yaml";
import { z } from "zod";
import { FileProblemsError, issuesToProblems, type Problem, parseYaml } from "../config/located.ts";
import { isHttpUrl } from "../config/schema.ts";
import { escapeRegex, namespaceRegex, templateToRegex } from "./namespaces.ts";

export interface Namespace {
  exclusive: boolean;
  regex: string;
}

export interface Registration {
  id: string;
  /** Where the homeserver pushes transactions; null for a registration that only supplies a token. */
  url: string | null;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  namespaces: { users: Namespace[]; aliases: Namespace[]; rooms: Namespace[] };
  rate_limited: boolean;
  protocols: string[];
  /** Typing notifications, receipts and presence (MSC2409), under its stable name... */
  receive_ephemeral: boolean;
  /** ...and its unstable one, which Synapse still reads. */
  "de.sorunome.msc2409.push_ephemeral": boolean;
  /**
   * End-to-end encryption (config `encryption.allow`): device lists and key counts in transactions (MSC3202), and
   * devices the application service makes itself (MSC4190). Absent when not asked for.
   */
  "org.matrix.msc3202"?: boolean;
  "io.element.msc4190"?: boolean;
}

export class RegistrationError extends FileProblemsError {
  constructor(sourceOrMessage: string, problems?: Problem[]) {
    super(sourceOrMessage, problems);
    this.name = "RegistrationError";
  }
}

/** 32 random bytes as 64 hex characters, like matrix-appservice's generateToken. */
export function generateToken(): string {
  return randomBytes(32).toString("hex");
}

export interface RegistrationOptions {
  id: string;
  url: string;
  senderLocalpart: string;
  domain: string;
  ghostTemplates: string[];
  aliasTemplates: string[];
  protocols: string[];
  /** Ask for what end-to-end encryption needs (MSC3202, MSC4190). */
  encryption?: boolean;
}

export function generateRegistration(options: RegistrationOptions): Registration {
  const { domain } = options;
  const exclusive = (regex: string): Namespace => ({ exclusive: true, regex });
  return {
    id: options.id,
    url: options.url,
    as_token: generateToken(),
    hs_token: generateToken(),
    sender_localpart: options.senderLocalpart,
    namespaces: {
      users: [
        ...options.ghostTemplates.map((t) => exclusive(templateToRegex(t, "@", domain))),
        exclusive(namespaceRegex("@", escapeRegex(options.senderLocalpart), domain)),
      ],
      aliases: options.aliasTemplates.map((t) => exclusive(templateToRegex(t, "#", domain))),
      rooms: [],
    },
    rate_limited: false,
    protocols: options.protocols,
    receive_ephemeral: true,
    "de.sorunome.msc2409.push_ephemeral": true,
    ...(options.encryption === true && { "org.matrix.msc3202": true, "io.element.msc4190": true }),
  };
}

/**
 * A second registration used only for its as_token, to act as real users of the homeserver (double puppeting). It
 * claims every local user non-exclusively, so it takes nothing away from anyone, and has no url: the homeserver never
 * sends it transactions, so its hs_token is never checked.
 */
export function generateDoublePuppetRegistration(options: {
  id: string;
  domain: string;
  url?: null;
}): Registration {
  return {
    id: options.id,
    url: null,
    as_token: generateToken(),
    hs_token: generateToken(),
    // Random, so that it cannot coincide with a real user's localpart.
    sender_localpart: randomBytes(16).toString("hex"),
    namespaces: {
      users: [{ exclusive: false, regex: namespaceRegex("@", "[^:]+", options.domain) }],
      aliases: [],
      rooms: [],
    },
    rate_limited: false,
    protocols: [],
    receive_ephemeral: false,
    "de.sorunome.msc2409.push_ephemeral": false,
  };
}

/** Writes `reg` as YAML, mode 0600, replacing any existing file atomically so it is never seen half-written. */
export function writeRegistration(path: string, reg: Registration): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // A new file gets the mode at creation, so the tokens are never readable by others, even briefly.
    writeFileSync(tmp, stringify(reg), { mode: 0o600, flag: "wx" });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

const token = z.string({ error: "must be a non-empty string" }).min(1);
const isRegex = (v: string) => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};
const namespaceList = z
  .array(
    z.object(
      {
        exclusive: z.boolean({ error: "must be true or false" }),
        regex: z
          .string({ error: "must be a regular expression" })
          .refine(isRegex, { error: "must be a valid regular expression" }),
      },
      { error: "must be a mapping with exclusive and regex" },
    ),
    { error: "must be a list" },
  )
  .default([]);
const optionalFlag = z.boolean({ error: "must be true or false" }).optional();

// Not strict: homeservers accept extension keys (for example MSC3202's), and an admin adding one must not break the
// bridge.
const registrationSchema = z.object(
  {
    id: token,
    url: z
      .string({ error: "must be an http:// or https:// URL, or null" })
      .refine(isHttpUrl, { error: "must be an http:// or https:// URL, or null" })
      .nullable(),
    as_token: token,
    hs_token: token,
    sender_localpart: z
      .string({ error: "must be a user id localpart" })
      .regex(/^[\x21-\x39\x3b-\x7e]+$/, { error: "must be a user id localpart" }),
    namespaces: z.object(
      { users: namespaceList, aliases: namespaceList, rooms: namespaceList },
      { error: "must be a mapping with users, aliases and rooms" },
    ),
    // The homeserver rate-limits an application service unless told otherwise.
    rate_limited: z.boolean({ error: "must be true or false" }).default(true),
    protocols: z
      .array(z.string({ error: "must be a string" }), { error: "must be a list of strings" })
      .nullable()
      .default([]),
    receive_ephemeral: optionalFlag,
    "de.sorunome.msc2409.push_ephemeral": optionalFlag,
    "org.matrix.msc3202": optionalFlag,
    "io.element.msc4190": optionalFlag,
  },
  { error: "must be a mapping" },
);

/**
 * Exclusive namespace regexes that are not anchored at both ends. Synapse anchors only the start, so such a regex
 * (as this bridge wrote them before, and as hand-written files often are) claims ids on other servers whose name
 * merely starts with ours. Not an error, so an upgrade does not stop a running bridge; the start warns instead.
 */
export function unanchoredNamespaces(reg: Registration): string[] {
  const { users, aliases, rooms } = reg.namespaces;
  return [...users, ...aliases, ...rooms]
    .filter((n) => n.exclusive && !(n.regex.startsWith("^") && n.regex.endsWith("$")))
    .map((n) => n.regex);
}

/** Reads and validates a registration file, whoever generated it. */
export function loadRegistration(path: string): Registration {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new RegistrationError(path, [
      { path: "", line: null, message: `cannot read the registration (${reason})` },
    ]);
  }
  const yaml = parseYaml(text);
  if (!yaml.ok) throw new RegistrationError(path, yaml.problems);
  const result = registrationSchema.safeParse(yaml.value);
  if (!result.success) {
    throw new RegistrationError(path, issuesToProblems(result.error.issues, yaml.value, yaml.locate, false));
  }
  const r = result.data;
  // Either spelling turns ephemeral events on; both are written so old and new homeservers agree.
  const ephemeral = r.receive_ephemeral === true || r["de.sorunome.msc2409.push_ephemeral"] === true;
  return {
    id: r.id,
    url: r.url,
    as_token: r.as_token,
    hs_token: r.hs_token,
    sender_localpart: r.sender_localpart,
    namespaces: r.namespaces,
    rate_limited: r.rate_limited,
    protocols: r.protocols ?? [],
    receive_ephemeral: ephemeral,
    "de.sorunome.msc2409.push_ephemeral": ephemeral,
    ...(r["org.matrix.msc3202"] !== undefined && { "org.matrix.msc3202": r["org.matrix.msc3202"] }),
    ...(r["io.element.msc4190"] !== undefined && { "io.element.msc4190": r["io.element.msc4190"] }),
  };
}

/**
 * What the registration lacks for end-to-end encryption, as the settings to add; empty when nothing. (Whether the
 * homeserver has the features turned on shows only once the bridge runs: see crypto/encryption-start.ts.)
 */
export function missingEncryptionSettings(reg: Registration): string[] {
  const missing: string[] = [];
  if (!reg.receive_ephemeral) missing.push("receive_ephemeral: true");
  if (reg["org.matrix.msc3202"] !== true) missing.push("org.matrix.msc3202: true");
  if (reg["io.element.msc4190"] !== true) missing.push("io.element.msc4190: true");
  return missing;
}
