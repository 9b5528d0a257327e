// A real InspIRCd 3 (Debian's package) for end-to-end tests: one per suite, plain text on 127.0.0.1 only, with its
// configuration, pid file and logs in the suite's run folder. Flood protection and per-IP limits are lifted so that
// tests and benchmarks (a thousand puppet connections from 127.0.0.1) measure the bridge, not the server's defences.
// With `services`, Atheme links to it as the network's services server, for NickServ accounts and SASL PLAIN.

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../free-port.ts";
import { type AthemeOptions, AthemeServices } from "./atheme.ts";
import { ensureInspircdInstalled } from "./inspircd-install.ts";
import { IrcServerBase, placeServer, type ServerCreateOptions, type ServerPlace } from "./irc-server-base.ts";

export interface InspircdOptions {
  /** Defaults to "inspircd.test"; InspIRCd wants a name with a dot in it. */
  serverName?: string;
  /** Defaults to "InspTest". */
  networkName?: string;
  /** Module names without the `m_` prefix; replaces the default set (IRCv3 capabilities and NAMESX/UHNAMES). */
  modules?: string[];
  /** Module names loaded on top of `modules` (or the default set), e.g. `chanhistory`. */
  extraModules?: string[];
  /** Modes every new channel gets, parameters after the letters (`ntH 100:1d`); `o` makes its creator an operator. Defaults to InspIRCd's `not`. */
  defaultModes?: string;
  /** Raw configuration tags appended at the end, where they win over earlier ones of the same kind. */
  extraConfig?: string;
  /**
   * Links Atheme as the services server (NickServ, SaslServ, ChanServ): true for its defaults, or its options. The
   * modules services need are loaded in addition to `modules`.
   */
  services?: boolean | AthemeOptions;
}

export type InspircdCreateOptions = ServerCreateOptions<InspircdOptions>;

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

// What Atheme's InspIRCd protocol module needs (spanningtree: the server link itself; services_account: accounts,
// +r, and the account name on users; deaf: ChanServ is introduced +d, and a link that sends an unknown mode is
// dropped) or uses when present (servprotect keeps services from being killed or kicked, chghost and chgident set
// vhosts, svshold keeps a nick for its owner, globops, topiclock), and SASL, which relays AUTHENTICATE to services
// and needs cap.
const SERVICES_MODULES = [
  "spanningtree",
  "services_account",
  "deaf",
  "servprotect",
  "sasl",
  "cap",
  "chghost",
  "chgident",
  "svshold",
  "globops",
  "topiclock",
];

// The servers' ids on the network. InspIRCd would derive its own from its name, which could collide with the
// services' by chance; fixed ids cannot.
const SERVER_ID = "0IR";
const SERVICES_ID = "0SV";

const STDOUT_FILE = "stdout.log";

// Far above what a test or a benchmark reaches, and within the ranges InspIRCd parses.
const MANY = 100_000;

export class InspircdServer extends IrcServerBase {
  readonly software = "inspircd";
  /** What the process printed: configuration errors land here. */
  readonly stdoutPath: string;
  /** The linked services, when created with `services`; started and stopped with the server. */
  readonly services: AthemeServices | undefined;

  private constructor(
    binary: string,
    place: ServerPlace,
    name: string,
    services: AthemeServices | undefined,
  ) {
    // InspIRCd refuses to run as root unless told that it is meant to (CI runs as root).
    const asRoot = process.getuid?.() === 0 ? ["--runasroot"] : [];
    super(place, name, {
      label: "InspIRCd",
      command: binary,
      configFile: "inspircd.conf",
      args: (configPath) => ["--config", configPath, "--nofork", ...asRoot],
      // InspIRCd's own log.
      logFile: "ircd.log",
      stdoutFile: STDOUT_FILE,
    });
    this.services = services;
    this.stdoutPath = join(place.dataDir, STDOUT_FILE);
  }

  /** Installs InspIRCd if needed and writes the configuration; `start()` runs it. */
  static async create({ runDir, options = {} }: InspircdCreateOptions): Promise<InspircdServer> {
    const binary = await ensureInspircdInstalled();
    const place = await placeServer(runDir, "inspircd");
    const name = options.serverName ?? "inspircd.test";
    const networkName = options.networkName ?? "InspTest";
    let services: AthemeServices | undefined;
    if (options.services) {
      const athemeOptions = options.services === true ? {} : options.services;
      services = await AthemeServices.create({
        dataDir: join(place.dataDir, "atheme"),
        uplink: {
          name,
          host: "127.0.0.1",
          linkPort: await freePort(),
          password: randomBytes(16).toString("hex"),
          clientPort: place.port,
          networkName,
        },
        options: { numeric: SERVICES_ID, ...athemeOptions },
      });
    }
    const server = new InspircdServer(binary, place, name, services);
    server.writeConfig(options, networkName);
    return server;
  }

  private writeConfig(options: InspircdOptions, networkName: string): void {
    const { services } = this;
    const motdPath = join(this.dataDir, "motd.txt");
    writeFileSync(motdPath, "InspIRCd test server\n");
    const moduleNames = [
      ...(options.modules ?? DEFAULT_MODULES),
      ...(options.extraModules ?? []),
      ...(services ? SERVICES_MODULES : []),
    ];
    const modules = [...new Set(moduleNames)].map((module) => `<module name="${module}">`);
    const config = [
      '<config format="xml">',
      `<path configdir="${this.dataDir}" datadir="${this.dataDir}" logdir="${this.dataDir}" runtimedir="${this.dataDir}">`,
      `<server name="${this.name}" description="test server" network="${networkName}"${services ? ` id="${SERVER_ID}"` : ""}>`,
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
      `<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" splitwhois="no" defaultmodes="${options.defaultModes ?? "not"}">`,
      '<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hidebans="no" maxtargets="20">',
      `<pid file="${join(this.dataDir, "inspircd.pid")}">`,
      `<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${this.logPath}">`,
      ...modules,
      ...(services ? servicesConfig(this.host, services) : []),
      options.extraConfig ?? "",
      "",
    ];
    writeFileSync(this.configPath, config.join("\n"));
  }

  /** Starts the server, then its services if it has them; resolves once clients can register (and log in). */
  override async start(): Promise<void> {
    await super.start();
    if (this.services) {
      try {
        await this.services.start();
      } catch (error) {
        await super.stop();
        throw error;
      }
    }
  }

  /** Stops the services first, so they save their database and do not try to link again, then the server. */
  override async stop(): Promise<void> {
    await this.services?.stop();
    await super.stop();
  }
}

/** The link the services server connects to, on loopback only, and what it may do once linked. */
function servicesConfig(host: string, services: AthemeServices): string[] {
  const { linkPort, password } = services.uplink;
  return [
    `<bind address="${host}" port="${linkPort}" type="servers">`,
    // Inbound only: services connect here, and no <autoconnect> makes InspIRCd dial out.
    "<link",
    `  name="${services.name}"`,
    `  ipaddr="${host}"`,
    `  port="${linkPort}"`,
    `  allowmask="${host}/32"`,
    '  timeout="30"',
    `  sendpass="${password}"`,
    `  recvpass="${password}">`,
    // A U-line lets services set modes and change nicks anywhere; silent keeps its link out of server notices.
    `<uline server="${services.name}" silent="yes">`,
    // SASL is offered only while services are linked, and over plain text: every connection is loopback.
    `<sasl target="${services.name}" requiressl="no">`,
  ];
}
