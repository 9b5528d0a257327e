// A real Synapse homeserver for end-to-end tests: one per suite, listening on 127.0.0.1 only, with SQLite and its
// logs in the suite's run folder. Federation is off and every rate limit is raised so tests and benchmarks measure
// the bridge, never the homeserver's throttling.

import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { clientApiAnswers } from "./client-api-probe.ts";
import { freePort } from "./free-port.ts";
import type { Homeserver, HomeserverCapabilities, HomeserverOptions } from "./homeserver.ts";
import { ManagedProcess } from "./managed-process.ts";
import { ensureSynapseInstalled, SYNAPSE_VERSION } from "./synapse-install.ts";

/** Synapse keeps everything in `<runDir>/synapse/`; `extraConfig` holds homeserver.yaml keys. */
export type SynapseOptions = HomeserverOptions;

const READY_TIMEOUT_MS = 60_000;

// High enough that no test or benchmark ever reaches them, while keeping the shapes Synapse parses.
const UNLIMITED = { per_second: 100_000, burst_count: 1_000_000 };
const RATE_LIMITS = {
  rc_message: UNLIMITED,
  rc_registration: UNLIMITED,
  rc_registration_token_validity: UNLIMITED,
  rc_login: { address: UNLIMITED, account: UNLIMITED, failed_attempts: UNLIMITED },
  rc_admin_redaction: UNLIMITED,
  rc_joins: { local: UNLIMITED, remote: UNLIMITED },
  rc_joins_per_room: UNLIMITED,
  rc_3pid_validation: UNLIMITED,
  rc_invites: { per_room: UNLIMITED, per_user: UNLIMITED, per_issuer: UNLIMITED },
  rc_third_party_invite: UNLIMITED,
  rc_media_create: UNLIMITED,
  rc_presence: { per_user: UNLIMITED },
  rc_delayed_event_mgmt: UNLIMITED,
  rc_room_creation: UNLIMITED,
  rc_reports: UNLIMITED,
  rc_user_directory: UNLIMITED,
  rc_profile: UNLIMITED,
  rc_key_requests: UNLIMITED,
};

export class Synapse implements Homeserver {
  readonly software = "Synapse";
  readonly version: string = SYNAPSE_VERSION;
  readonly capabilities: HomeserverCapabilities = { pingEndpoint: true, ephemeralEvents: true };
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  readonly sharedSecret: string;
  readonly dataDir: string;
  /** Synapse's own log (INFO). */
  readonly logPath: string;
  /** What the process printed: startup errors and tracebacks land here, not in the log. */
  readonly stdoutPath: string;
  private readonly process: ManagedProcess;

  private constructor(
    python: string,
    dataDir: string,
    port: number,
    serverName: string,
    sharedSecret: string,
  ) {
    this.dataDir = dataDir;
    this.port = port;
    this.serverName = serverName;
    this.sharedSecret = sharedSecret;
    this.url = `http://127.0.0.1:${port}`;
    this.logPath = join(dataDir, "homeserver.log");
    this.stdoutPath = join(dataDir, "stdout.log");
    this.process = new ManagedProcess({
      label: "Synapse",
      command: python,
      args: ["-m", "synapse.app.homeserver", "-c", this.configPath],
      cwd: dataDir,
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
      outputPath: this.stdoutPath,
      logPaths: [this.stdoutPath, this.logPath],
      isReady: () => clientApiAnswers(this.url),
      readiness: "answer on its client API",
      pollMs: 100,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
  }

  /** Writes the configuration; `start()` runs it. */
  static async create(options: SynapseOptions): Promise<Synapse> {
    const python = await ensureSynapseInstalled();
    const dataDir = resolve(options.runDir, "synapse");
    mkdirSync(dataDir, { recursive: true });
    const synapse = new Synapse(
      python,
      dataDir,
      await freePort(),
      options.serverName ?? "localhost",
      randomBytes(24).toString("hex"),
    );
    synapse.writeConfig(options);
    return synapse;
  }

  /** The running process's id, or undefined while stopped. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  private get configPath(): string {
    return join(this.dataDir, "homeserver.yaml");
  }

  private writeConfig(options: SynapseOptions): void {
    const signingKeyPath = join(this.dataDir, "signing.key");
    const logConfigPath = join(this.dataDir, "log.config.yaml");
    writeFileSync(signingKeyPath, `ed25519 a_${randomKeyVersion()} ${unpaddedBase64(randomBytes(32))}\n`);
    writeFileSync(logConfigPath, stringify(logConfig(this.logPath)));
    const config = {
      server_name: this.serverName,
      public_baseurl: `${this.url}/`,
      listeners: [
        {
          port: this.port,
          bind_addresses: ["127.0.0.1"],
          type: "http",
          tls: false,
          x_forwarded: false,
          resources: [{ names: ["client"], compress: false }],
        },
      ],
      database: { name: "sqlite3", args: { database: join(this.dataDir, "homeserver.db") } },
      log_config: logConfigPath,
      signing_key_path: signingKeyPath,
      media_store_path: join(this.dataDir, "media_store"),
      max_upload_size: "50M",
      registration_shared_secret: this.sharedSecret,
      enable_registration: false,
      report_stats: false,
      app_service_config_files: (options.appserviceRegistrationFiles ?? []).map((file) => resolve(file)),
      federation_domain_whitelist: [],
      trusted_key_servers: [],
      suppress_key_server_warning: true,
      presence: { enabled: true },
      url_preview_enabled: false,
      ...RATE_LIMITS,
      ...options.extraConfig,
    };
    // Written out in full rather than with YAML anchors for the shared rate limit, so a person can read it.
    writeFileSync(this.configPath, stringify(config, { aliasDuplicateObjects: false }));
  }

  /** Starts the homeserver and resolves once its client API answers. */
  async start(): Promise<void> {
    await this.process.start();
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and keeps the data, so `start()` resumes where it was. */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  /** Stops, and removes the data folder unless it should be kept for a look after a failure. */
  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

// Synapse's decoder is the standard alphabet without padding; it would silently drop url-safe characters.
function unpaddedBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}

/** Synapse names its keys `a_` plus four letters or digits. */
function randomKeyVersion(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(randomBytes(4), (byte) => alphabet[byte % alphabet.length]).join("");
}

// Unbuffered, so a test that fails a moment after Synapse logged something still finds it in the file.
function logConfig(logPath: string): Record<string, unknown> {
  return {
    version: 1,
    formatters: {
      precise: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s" },
    },
    handlers: {
      file: { class: "logging.FileHandler", formatter: "precise", filename: logPath, encoding: "utf8" },
    },
    root: { level: "INFO", handlers: ["file"] },
    disable_existing_loggers: false,
  };
}
