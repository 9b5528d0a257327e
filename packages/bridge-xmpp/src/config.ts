// The XMPP plugin's settings (`network.config` in the bridge's config), checked when the plugin is built so that a
// mistake names its key instead of failing later on the wire.

import { z } from "zod";

const domain = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/, { error: "expected a lower-case domain name" });

const service = z
  .string()
  .regex(/^xmpps?:\/\/[^\s/]+$/, { error: "expected xmpp://host:port" })
  .optional();

export const xmppConfigSchema = z
  .strictObject({
    /** The XEP-0114 component the bridge connects as; the server routes everything for `domain` to it. */
    component: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.int().min(1).max(65535).default(5347),
        /** The component's own domain: Matrix users get JIDs here (`alice\3aexample.org@matrix.example.org`). */
        domain,
        secret: z.string().min(1),
      })
      .optional(),
    /**
     * Instead of a component: one ordinary account the bridge logs in as, relaying every Matrix user as "Name: text".
     * `service` is where to connect (`xmpp://host:port`) instead of the address the domain publishes in DNS.
     */
    relay: z
      .strictObject({
        jid: z.string().regex(/^[^@/\s]+@[^@/\s]+$/, { error: "expected user@example.org" }),
        password: z.string().min(1),
        service,
      })
      .optional(),
    /** Matrix users' own XMPP accounts (`login`). */
    accounts: z
      .strictObject({
        /**
         * Where to connect (`xmpp://host:port`), for every account, instead of the address each account's domain
         * publishes in DNS: for a bridge that serves the users of one server.
         */
        service,
      })
      .prefault({}),
    /** Shown in m.bridge and messages. */
    name: z.string().min(1).default("XMPP"),
    /** The nick the bridge itself has in every bridged MUC, where it listens for the room. */
    bot_nick: z.string().min(1).max(64).default("MatrixBridge"),
    /** How many messages of a MUC's history a new portal starts with (0 for none). */
    history_on_join: z.int().min(0).max(100).default(20),
    /** The largest file shared on XMPP that is copied into Matrix; bigger ones stay a link. */
    max_file_bytes: z
      .int()
      .min(1)
      .default(50 * 1024 * 1024),
    /**
     * The XMPP server whose services (disco#items) are searched for an XEP-0363 upload service, to put Matrix files on;
     * by default the component's domain without its first label (`matrix.example.org` → `example.org`).
     */
    upload_domain: domain.optional(),
    /** How long to wait for the server to answer a join or a query before calling it failed. */
    request_timeout_seconds: z.number().min(1).default(15),
  })
  .refine((c) => (c.component === undefined) !== (c.relay === undefined), {
    error: "set either component (the bridge's own domain) or relay (one account), not both",
  });

export type XmppConfig = z.infer<typeof xmppConfigSchema>;

/** Checks the settings, naming the key of the first mistake. */
export function parseXmppConfig(config: Record<string, unknown>): XmppConfig {
  const result = xmppConfigSchema.safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`invalid XMPP settings at ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return result.data;
}
