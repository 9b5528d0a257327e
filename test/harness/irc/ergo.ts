// A real ergo IRC server for end-to-end tests: one per suite, plain text on 127.0.0.1 only, with its configuration,
// account database and log in the suite's run folder. It is the harness's server with built-in services: NickServ
// account registration, SASL PLAIN and chat history, all in one process and without TLS certificates (ergo counts
// loopback connections as secure, so SASL PLAIN over plain text is allowed). Flood protection, fakelag and every
// throttle are off so tests and benchmarks (a thousand connections from 127.0.0.1) measure the bridge.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensureErgoInstalled } from "./ergo-install.ts";
import { IrcServerBase, placeServer, type ServerCreateOptions, type ServerPlace } from "./irc-server-base.ts";

export interface ErgoOptions {
  /** Defaults to "ergo.test". */
  serverName?: string;
  /** Defaults to "ErgoTest". */
  networkName?: string;
  /**
   * Merged into the generated ircd.yaml: objects key by key at any depth, anything else (lists included) replaced,
   * e.g. `{ accounts: { "nick-reservation": { method: "strict" } } }`.
   */
  config?: Record<string, unknown>;
}

export type ErgoCreateOptions = ServerCreateOptions<ErgoOptions>;

// Far above what a test or a benchmark reaches.
const MANY = 100_000;

export class ErgoServer extends IrcServerBase {
  readonly software = "ergo";

  private constructor(binary: string, place: ServerPlace, name: string) {
    super(place, name, {
      label: "ergo",
      command: binary,
      configFile: "ircd.yaml",
      args: (configPath) => ["run", "--conf", configPath],
      // Everything ergo logs, and anything else it prints.
      logFile: "ergo.log",
    });
  }

  /** Builds ergo if needed and writes the configuration; `start()` runs it. */
  static async create({ runDir, options = {} }: ErgoCreateOptions): Promise<ErgoServer> {
    const binary = await ensureErgoInstalled();
    const place = await placeServer(runDir, "ergo");
    const server = new ErgoServer(binary, place, options.serverName ?? "ergo.test");
    server.writeConfig(options);
    return server;
  }

  private writeConfig(options: ErgoOptions): void {
    const motdPath = join(this.dataDir, "ergo.motd");
    writeFileSync(motdPath, "ergo test server\n");
    const config = deepMerge(
      this.baseConfig(options.networkName ?? "ErgoTest", motdPath),
      options.config ?? {},
    );
    writeFileSync(this.configPath, stringify(config, { aliasDuplicateObjects: false }));
  }

  // Follows the layout of ergo's default.yaml for the pinned release; what is left out takes ergo's built-in
  // defaults. The datastore (a single file) is created by ergo on its first start, so no `ergo initdb` is needed.
  private baseConfig(networkName: string, motdPath: string): Record<string, unknown> {
    return {
      network: { name: networkName },
      server: {
        name: this.name,
        // A listener without a tls block is plain text; no certificates exist anywhere.
        listeners: { [`${this.host}:${this.port}`]: {} },
        sts: { enabled: false },
        casemapping: "ascii",
        "enforce-utf8": true,
        "lookup-hostnames": false,
        "check-ident": false,
        "coerce-ident": "~u",
        motd: motdPath,
        "motd-formatting": false,
        "idle-timeouts": { registration: "60s", ping: "1m30s", disconnect: "2m30s" },
        relaymsg: { enabled: false },
        "max-sendq": "16M",
        compatibility: { "force-trailing": true, "send-unprefixed-sasl": true, "allow-truncation": false },
        // Loopback is exempt from these anyway; they are lifted as well so a changed exemption cannot bite.
        "ip-limits": {
          count: false,
          "max-concurrent-connections": MANY,
          throttle: false,
          window: "10m",
          "max-connections-per-window": MANY,
          "cidr-len-ipv4": 32,
          "cidr-len-ipv6": 64,
          exempted: ["localhost"],
        },
        // Real addresses in hostmasks, as on most networks a bridge meets.
        "ip-cloaking": { enabled: false },
        "oper-throttle": "0s",
        "suppress-lusers": false,
      },
      accounts: {
        "authentication-enabled": true,
        registration: {
          enabled: true,
          "allow-before-connect": true,
          throttling: { enabled: false },
          // The cheapest cost ergo accepts: tests register many accounts and must not wait on hashing.
          "bcrypt-cost": 4,
          "email-verification": { enabled: false },
        },
        "login-throttling": { enabled: false },
        "skip-server-password": false,
        "login-via-pass-command": true,
        "advertise-scram": true,
        "require-sasl": { enabled: false, exempted: ["localhost"] },
        // An account protects its nick only for users who ask for it, and logging in does not rename anyone: the
        // plain IRC behaviour a bridge expects unless a test opts into more.
        "nick-reservation": {
          enabled: true,
          "additional-nick-limit": 0,
          method: "optional",
          "allow-custom-enforcement": true,
          "guest-nickname-format": "Guest-*",
          "force-guest-format": false,
          "force-nick-equals-account": false,
          "forbid-anonymous-nick-changes": false,
        },
        // One connection, one client, as everywhere else; bouncer-style sharing stays available per account.
        multiclient: {
          enabled: true,
          "allowed-by-default": false,
          "always-on": "opt-in",
          "auto-away": "opt-in",
        },
        vhosts: { enabled: true, "max-length": 64, "valid-regexp": "^[0-9A-Za-z.\\-_/]+$" },
        "default-user-modes": "+i",
      },
      channels: {
        "default-modes": "+nt",
        "max-channels-per-client": MANY,
        "operator-only-creation": false,
        registration: { enabled: true, "operator-only": false, "max-channels-per-account": MANY },
        "list-delay": "0s",
        "invite-expiration": "24h",
      },
      logging: [{ method: "stderr", type: "* -userinput -useroutput", level: "info" }],
      debug: { "recover-from-errors": true },
      "lock-file": join(this.dataDir, "ircd.lock"),
      datastore: { path: join(this.dataDir, "ircd.db"), autoupgrade: true },
      // Translations need a build tag and files the harness's build leaves out.
      languages: { enabled: false },
      limits: {
        nicklen: 32,
        identlen: 20,
        realnamelen: 150,
        channellen: 64,
        awaylen: 390,
        kicklen: 390,
        topiclen: 390,
        "monitor-entries": 100,
        "whowas-entries": 100,
        "chan-list-modes": 100,
        "registration-messages": 1024,
        multiline: { "max-bytes": 4096, "max-lines": 100 },
      },
      fakelag: { enabled: false },
      roleplay: { enabled: false },
      history: {
        enabled: true,
        "channel-length": 2048,
        "client-length": 256,
        "autoresize-window": "3d",
        "autoreplay-on-join": 0,
        "chathistory-maxmessages": 1000,
        "znc-maxmessages": 2048,
        restrictions: { "expire-time": "1w", "query-cutoff": "none", "grace-period": "1h" },
        persistent: { enabled: false },
        retention: { "allow-individual-delete": false, "enable-account-indexing": false },
        "tagmsg-storage": { default: false, whitelist: ["+draft/react", "+react"] },
      },
      // The configuration file alone decides; ERGO__* variables in a developer's environment must not leak in.
      "allow-environment-overrides": false,
      metadata: {
        enabled: true,
        "operator-only-modification": false,
        "max-subs": 100,
        "max-keys": 100,
        "client-throttle": { enabled: false },
      },
      webpush: { enabled: false },
      api: { enabled: false },
    };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
