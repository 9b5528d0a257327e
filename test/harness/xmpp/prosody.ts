// A real Prosody (Debian's package) for end-to-end tests: one per suite, on free ports on 127.0.0.1, with its
// configuration, data and log in the suite's run folder. It serves `localhost` to clients, a MUC service with
// message archiving (so rooms stamp stanza-ids) and the bridge's component.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../free-port.ts";
import { ManagedProcess } from "../managed-process.ts";
import { ensureProsodyInstalled } from "./prosody-install.ts";
import {
  COMPONENT_DOMAIN,
  componentAnswers,
  MUC_DOMAIN,
  UPLOAD_DOMAIN,
  XMPP_DOMAIN,
  type XmppServer,
} from "./xmpp-server.ts";

const execFileAsync = promisify(execFile);

/** A Lua string literal. */
const lua = (text: string) => JSON.stringify(text);

export class ProsodyServer implements XmppServer {
  readonly software = "prosody";
  readonly host = "127.0.0.1";
  readonly domain = XMPP_DOMAIN;
  readonly mucDomain = MUC_DOMAIN;
  readonly componentDomain = COMPONENT_DOMAIN;
  readonly componentSecret = randomBytes(16).toString("hex");
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly dataDir: string;
  readonly upload?: { domain: string; httpPort: number };
  private readonly configPath: string;
  private readonly process: ManagedProcess;

  private constructor(
    binary: string,
    dataDir: string,
    c2sPort: number,
    componentPort: number,
    uploadPort: number | undefined,
  ) {
    this.dataDir = dataDir;
    if (uploadPort !== undefined) this.upload = { domain: UPLOAD_DOMAIN, httpPort: uploadPort };
    this.c2sPort = c2sPort;
    this.componentPort = componentPort;
    this.configPath = join(dataDir, "prosody.cfg.lua");
    const logPath = join(dataDir, "prosody.log");
    this.writeConfig(logPath);
    this.process = new ManagedProcess({
      label: "Prosody",
      command: binary,
      args: ["--config", this.configPath, "-F"],
      cwd: dataDir,
      outputPath: join(dataDir, "prosody.out"),
      logPaths: [join(dataDir, "prosody.out"), logPath],
      isReady: () => componentAnswers(this.host, componentPort, this.componentDomain),
      readiness: "answer on its component port",
    });
  }

  /**
   * Installs Prosody if needed and writes its configuration; `start()` runs it. With `httpUpload`, it also offers
   * XEP-0363 uploads (mod_http_file_share) over HTTP on 127.0.0.1.
   */
  static async create({
    runDir,
    httpUpload,
  }: {
    runDir: string;
    httpUpload?: boolean;
  }): Promise<ProsodyServer> {
    const binary = await ensureProsodyInstalled();
    const dataDir = join(runDir, "prosody");
    mkdirSync(join(dataDir, "data"), { recursive: true });
    const uploadPort = httpUpload === true ? await freePort() : undefined;
    return new ProsodyServer(binary, dataDir, await freePort(), await freePort(), uploadPort);
  }

  private writeConfig(logPath: string): void {
    const config = [
      // The harness runs as root in containers; Prosody refuses that unless told it is meant.
      "run_as_root = true",
      "daemonize = false",
      `pidfile = ${lua(join(this.dataDir, "prosody.pid"))}`,
      `data_path = ${lua(join(this.dataDir, "data"))}`,
      `certificates = ${lua(join(this.dataDir, "certs"))}`,
      `log = { debug = ${lua(logPath)} }`,
      `interfaces = { ${lua(this.host)} }`,
      `c2s_ports = { ${this.c2sPort} }`,
      "c2s_direct_tls_ports = { }",
      "legacy_ssl_ports = { }",
      "s2s_ports = { }",
      `component_ports = { ${this.componentPort} }`,
      `component_interfaces = { ${lua(this.host)} }`,
      `http_ports = { ${this.upload?.httpPort ?? ""} }`,
      `http_interfaces = { ${lua(this.host)} }`,
      "https_ports = { }",
      'modules_enabled = { "roster", "saslauth", "disco", "ping", "posix", "vcard", "pep" }',
      'modules_disabled = { "s2s", "tls", "offline", "c2s_direct_tls" }',
      // Tests speak plain text on loopback.
      "c2s_require_encryption = false",
      "allow_unencrypted_plain_auth = true",
      'authentication = "internal_plain"',
      'storage = "internal"',
      `VirtualHost ${lua(this.domain)}`,
      `Component ${lua(this.mucDomain)} "muc"`,
      '  modules_enabled = { "muc_mam" }',
      // A room made by its first join is usable at once, not locked until its owner configures it.
      "  muc_room_locking = false",
      "  muc_room_default_persistent = true",
      "  muc_room_default_public = true",
      "  muc_room_default_history_length = 50",
      // As in ejabberd by default: occupants may set the subject, so topics can cross from Matrix.
      "  muc_room_default_changesubject = true",
      `Component ${lua(this.componentDomain)}`,
      `  component_secret = ${lua(this.componentSecret)}`,
      ...(this.upload === undefined
        ? []
        : [
            `Component ${lua(this.upload.domain)} "http_file_share"`,
            // Links name the loopback address, which needs no name resolution, and Prosody serves that host name.
            `  http_host = ${lua(this.host)}`,
            `  http_external_url = ${lua(`http://${this.host}:${this.upload.httpPort}/`)}`,
          ]),
      "",
    ];
    writeFileSync(this.configPath, config.join("\n"));
  }

  start(): Promise<void> {
    return this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async register(localpart: string, password: string): Promise<void> {
    await execFileAsync("prosodyctl", [
      "--config",
      this.configPath,
      "register",
      localpart,
      this.domain,
      password,
    ]);
  }
}
