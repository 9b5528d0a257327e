// A real Dendrite homeserver for end-to-end tests, the second implementation beside Synapse: one per suite, the
// monolith listening on 127.0.0.1 only, SQLite databases, JetStream and logs in the suite's run folder. Federation is
// off, rate limits are off, users are registered with the shared secret (Synapse's HMAC scheme, which Dendrite
// implements at the same path), and the bridges' registration files are loaded from `app_service_api.config_files`.
//
// The configuration starts from `generate-config` of the pinned release, so every key this release knows has its
// default, and only what a test setup needs is changed. JetStream stores on disk, not in memory: its durable consumer
// is where Dendrite keeps what it still owes an application service, so a restart of the homeserver must not drop it.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { clientApiAnswers } from "./client-api-probe.ts";
import { DENDRITE_VERSION, type DendriteBinaries, ensureDendriteInstalled } from "./dendrite-install.ts";
import { freePort } from "./free-port.ts";
import type { Homeserver, HomeserverCapabilities, HomeserverOptions } from "./homeserver.ts";
import { ManagedProcess } from "./managed-process.ts";

const execFileAsync = promisify(execFile);
const READY_TIMEOUT_MS = 60_000;

type Config = Record<string, Record<string, unknown>>;

export class Dendrite implements Homeserver {
  readonly software = "Dendrite";
  readonly version: string = DENDRITE_VERSION;
  readonly capabilities: HomeserverCapabilities = {
    // Dendrite 0.13 lists client-server versions up to v1.2; the ping arrived in v1.7.
    pingEndpoint: false,
    // Its application service component forwards room events only (appservice/consumers/roomserver.go): no typing,
    // receipts or presence, whatever `receive_ephemeral` says.
    ephemeralEvents: false,
  };
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  readonly sharedSecret: string;
  readonly dataDir: string;
  /** Dendrite's own log (INFO and up), written by its file hook. */
  readonly logPath: string;
  /** What the process printed: configuration errors and panics land here, not in the log. */
  readonly stdoutPath: string;
  private readonly process: ManagedProcess;

  private constructor(binaries: DendriteBinaries, dataDir: string, port: number, serverName: string) {
    this.dataDir = dataDir;
    this.port = port;
    this.serverName = serverName;
    this.sharedSecret = randomBytes(24).toString("hex");
    this.url = `http://127.0.0.1:${port}`;
    this.logPath = join(dataDir, "log", "dendrite.log");
    this.stdoutPath = join(dataDir, "stdout.log");
    this.process = new ManagedProcess({
      label: "Dendrite",
      command: binaries.dendrite,
      args: ["--config", this.configPath, "--http-bind-address", `127.0.0.1:${port}`],
      cwd: dataDir,
      outputPath: this.stdoutPath,
      logPaths: [this.stdoutPath, this.logPath],
      isReady: () => clientApiAnswers(this.url),
      readiness: "answer on its client API",
      pollMs: 100,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
  }

  /** Builds Dendrite if needed and writes its signing key and configuration; `start()` runs it. */
  static async create(options: HomeserverOptions): Promise<Dendrite> {
    const binaries = await ensureDendriteInstalled();
    const dataDir = resolve(options.runDir, "dendrite");
    mkdirSync(dataDir, { recursive: true });
    const dendrite = new Dendrite(binaries, dataDir, await freePort(), options.serverName ?? "localhost");
    await dendrite.writeConfig(binaries, options);
    return dendrite;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  private get configPath(): string {
    return join(this.dataDir, "dendrite.yaml");
  }

  private async writeConfig(binaries: DendriteBinaries, options: HomeserverOptions): Promise<void> {
    const keyPath = join(this.dataDir, "matrix_key.pem");
    await execFileAsync(binaries["generate-keys"], ["--private-key", keyPath], { cwd: this.dataDir });
    const { stdout } = await execFileAsync(
      binaries["generate-config"],
      ["-dir", this.dataDir, "-server", this.serverName],
      { cwd: this.dataDir },
    );
    const config = parse(stdout) as Config;
    const section = (name: string): Record<string, unknown> => {
      config[name] ??= {};
      return config[name];
    };
    Object.assign(section("global"), {
      private_key: keyPath,
      disable_federation: true,
      trusted_third_party_id_servers: [],
      // A server-notices room would be one more room in every new user's sync; the tests never need it.
      server_notices: { ...(section("global")["server_notices"] as object), enabled: false },
      report_stats: { enabled: false, endpoint: "" },
      presence: { enable_inbound: false, enable_outbound: true },
    });
    Object.assign(section("app_service_api"), {
      config_files: (options.appserviceRegistrationFiles ?? []).map((file) => resolve(file)),
    });
    Object.assign(section("client_api"), {
      registration_disabled: true,
      guests_disabled: true,
      registration_shared_secret: this.sharedSecret,
      rate_limiting: { enabled: false, threshold: 5, cooloff_ms: 500, exempt_user_ids: [] },
    });
    // No key servers to ask: with federation off nothing needs another server's keys.
    Object.assign(section("federation_api"), { key_perspectives: [] });
    Object.assign(section("media_api"), { max_file_size_bytes: 50 * 1024 * 1024 });
    // The cheapest bcrypt cost Dendrite accepts: every suite registers users, and none tests password hashing.
    Object.assign(section("user_api"), { bcrypt_cost: 4 });
    config["logging"] = [
      { type: "file", level: "info", params: { path: join(this.dataDir, "log") } },
    ] as never;
    for (const [key, value] of Object.entries(options.extraConfig ?? {})) config[key] = value as never;
    writeFileSync(this.configPath, stringify(config, { aliasDuplicateObjects: false }));
  }

  async start(): Promise<void> {
    await this.process.start();
  }

  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and keeps the data, so `start()` resumes where it was. */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
