// A real InspIRCd 3 (Debian's package) for end-to-end tests: one per suite, plain text on 127.0.0.1 only, with its
// configuration, pid file and logs in the suite's run folder. Flood protection and per-IP limits are lifted so that
// tests and benchmarks (a thousand puppet connections from 127.0.0.1) measure the bridge, not the server's defences.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../free-port.ts";
import { ensureInspircdInstalled } from "./inspircd-install.ts";
import { type IrcServer, ServerProcess } from "./server-process.ts";

export interface InspircdOptions {
  /** Defaults to "inspircd.test"; InspIRCd wants a name with a dot in it. */
  serverName?: string;
  /** Defaults to "InspTest". */
  networkName?: string;
  /** Module names without the `m_` prefix; replaces the default set (IRCv3 capabilities and NAMESX/UHNAMES). */
  modules?: string[];
  /** Raw configuration tags appended at the end, where they win over earlier ones of the same kind. */
  extraConfig?: string;
}

export interface InspircdCreateOptions {
  /** The suite's run folder; InspIRCd keeps everything in `<runDir>/inspircd/`. */
  runDir: string;
  options?: InspircdOptions;
}

// What a typical network offers a client; all of them are opt-in for clients, so plain clients see no difference.
const DEFAULT_MODULES = [
  "cap",
  "ircv3",
  "ircv3_batch",
  "ircv3_capnotify",
  "ircv3_chghost",
  "ircv3_ctctags",
  "ircv3_echomessage",
  "ircv3_msgid",
  "ircv3_servertime",
  "namesx",
  "uhnames",
];

// Far above what a test or a benchmark reaches, and within the ranges InspIRCd parses.
const MANY = 100_000;

export class InspircdServer implements IrcServer {
  readonly software = "inspircd";
  readonly name: string;
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly dataDir: string;
  /** InspIRCd's own log. */
  readonly logPath: string;
  /** What the process printed: configuration errors land here. */
  readonly stdoutPath: string;
  readonly configPath: string;
  private readonly process: ServerProcess;

  private constructor(binary: string, dataDir: string, port: number, name: string) {
    this.dataDir = dataDir;
    this.port = port;
    this.name = name;
    this.logPath = join(dataDir, "ircd.log");
    this.stdoutPath = join(dataDir, "stdout.log");
    this.configPath = join(dataDir, "inspircd.conf");
    // InspIRCd refuses to run as root unless told that it is meant to (CI runs as root).
    const asRoot = process.getuid?.() === 0 ? ["--runasroot"] : [];
    this.process = new ServerProcess({
      label: "InspIRCd",
      command: binary,
      args: ["--config", this.configPath, "--nofork", ...asRoot],
      cwd: dataDir,
      host: this.host,
      port,
      outputPath: this.stdoutPath,
      logPaths: [this.stdoutPath, this.logPath],
    });
  }

  /** Installs InspIRCd if needed and writes the configuration; `start()` runs it. */
  static async create({ runDir, options = {} }: InspircdCreateOptions): Promise<InspircdServer> {
    const binary = await ensureInspircdInstalled();
    const dataDir = resolve(runDir, "inspircd");
    mkdirSync(dataDir, { recursive: true });
    const server = new InspircdServer(
      binary,
      dataDir,
      await freePort(),
      options.serverName ?? "inspircd.test",
    );
    server.writeConfig(options);
    return server;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  private writeConfig(options: InspircdOptions): void {
    const motdPath = join(this.dataDir, "motd.txt");
    writeFileSync(motdPath, "InspIRCd test server\n");
    const modules = (options.modules ?? DEFAULT_MODULES).map((module) => `<module name="${module}">`);
    const config = [
      '<config format="xml">',
      `<path configdir="${this.dataDir}" datadir="${this.dataDir}" logdir="${this.dataDir}" runtimedir="${this.dataDir}">`,
      `<server name="${this.name}" description="test server" network="${options.networkName ?? "InspTest"}">`,
      `<admin name="Test Admin" nick="admin" email="admin@${this.name}">`,
      `<bind address="${this.host}" port="${this.port}" type="clients">`,
      // Only loopback connects (the bind sees to that), and nothing it does is too much: no flood penalties
      // (threshold and commandrate out of reach, fakelag off), no per-IP clone limits, room for many channels
      // and a large backlog, and no DNS or ident lookups to wait for.
      "<connect",
      '  name="loopback"',
      '  allow="127.0.0.1"',
      `  limit="${MANY}"`,
      `  localmax="${MANY}"`,
      `  globalmax="${MANY}"`,
      '  maxconnwarn="no"',
      `  maxchans="${MANY}"`,
      `  threshold="${MANY * 10}"`,
      `  commandrate="${MANY * 10_000}"`,
      '  fakelag="no"',
      '  recvq="1M"',
      '  softsendq="1M"',
      '  hardsendq="64M"',
      '  timeout="60"',
      '  pingfreq="120"',
      '  resolvehostnames="no"',
      '  useident="no">',
      '<cidr ipv4clone="32" ipv6clone="128">',
      `<performance somaxconn="4096" softlimit="${MANY}" clonesonconnect="no" quietbursts="yes">`,
      // Nothing resolves names here; a lookup that happens anyway fails fast on loopback instead of leaving.
      '<dns server="127.0.0.1" timeout="1">',
      `<files motd="${motdPath}">`,
      '<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" splitwhois="no">',
      '<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hidebans="no" maxtargets="20">',
      `<pid file="${join(this.dataDir, "inspircd.pid")}">`,
      `<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${this.logPath}">`,
      ...modules,
      options.extraConfig ?? "",
      "",
    ];
    writeFileSync(this.configPath, config.join("\n"));
  }

  async start(): Promise<void> {
    await this.process.start();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
