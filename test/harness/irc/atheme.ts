// Atheme IRC services (Debian's package) linked to a harness IRC server as a services server: NickServ accounts,
// SASL PLAIN through SaslServ, and a ChanServ, as on most networks a bridge meets. It connects to the server's link
// port on 127.0.0.1, keeps its configuration, database and logs in a folder of the server's own, and is started
// after the server and stopped before it by whoever owns it (see InspircdServer's `services` option).
//
// Registration asks for an email address, as atheme always does, but nothing is ever sent: `auth = none` registers
// the account at once and there is no mail program configured. Every limit that would slow down tests that register
// many accounts is lifted: no rate limit on REGISTER, no cap on accounts per address, no flood protection.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ManagedProcess } from "../managed-process.ts";
import { ensureAthemeInstalled } from "./atheme-install.ts";
import { probe } from "./server-process.ts";

export interface AthemeOptions {
  /** Defaults to "services.test"; it must contain a dot and differ from every IRC server's name. */
  serverName?: string;
  /** The services server's id on the network; defaults to "0SV". */
  numeric?: string;
  /** Raw atheme.conf blocks appended at the end, e.g. `nickserv { expire = 1; };`. */
  extraConfig?: string;
}

/** Where atheme links to, and how it can tell that it has. */
export interface AthemeUplink {
  /** The IRC server's name, which the link must name. */
  name: string;
  host: string;
  /** The server's port for server links. */
  linkPort: number;
  /** Sent and expected on the link, in both directions. */
  password: string;
  /** The server's client port, where readiness is checked: services are up once NickServ answers there. */
  clientPort: number;
  /** The network's name, as the server announces it. */
  networkName: string;
}

export interface AthemeCreateOptions {
  /** Atheme's folder: configuration, database and logs. */
  dataDir: string;
  uplink: AthemeUplink;
  options?: AthemeOptions;
}

/**
 * pbkdf2v2's cheapest setting: tests register and log in many accounts and must not wait on hashing, while
 * passwords are still stored the way a real network stores them.
 */
const PASSWORD_HASH_ROUNDS = 10_000;

// Far above what a test or a benchmark reaches.
const MANY = 100_000;

export class AthemeServices {
  readonly name: string;
  readonly uplink: AthemeUplink;
  readonly dataDir: string;
  /** Atheme's own log. */
  readonly logPath: string;
  /** What the process printed: configuration errors land here before the log is open. */
  readonly stdoutPath: string;
  readonly configPath: string;
  /** The account database (atheme's "opensex" flat file), written on shutdown and every few minutes. */
  readonly databasePath: string;
  private readonly process: ManagedProcess;

  private constructor(binary: string, dataDir: string, uplink: AthemeUplink, name: string) {
    this.dataDir = dataDir;
    this.uplink = uplink;
    this.name = name;
    this.logPath = join(dataDir, "atheme.log");
    this.stdoutPath = join(dataDir, "stdout.log");
    this.configPath = join(dataDir, "atheme.conf");
    this.databasePath = join(dataDir, "services.db");
    this.process = new ManagedProcess({
      label: "Atheme",
      command: binary,
      // -n: stay in the foreground; -D: the database folder, otherwise /var/lib/atheme.
      args: [
        "-n",
        "-c",
        this.configPath,
        "-l",
        this.logPath,
        "-p",
        join(dataDir, "atheme.pid"),
        "-D",
        dataDir,
      ],
      cwd: dataDir,
      outputPath: this.stdoutPath,
      logPaths: [this.stdoutPath, this.logPath],
      isReady: async () => {
        const outcome = await nickServAnswers(uplink.host, uplink.clientPort);
        return outcome === "ready" || outcome;
      },
      readiness: "link and answer as NickServ",
    });
  }

  /** Installs atheme if needed and writes its configuration; `start()` runs it. */
  static async create({ dataDir, uplink, options = {} }: AthemeCreateOptions): Promise<AthemeServices> {
    const binary = await ensureAthemeInstalled();
    mkdirSync(dataDir, { recursive: true });
    const services = new AthemeServices(binary, dataDir, uplink, options.serverName ?? "services.test");
    services.writeConfig(uplink, options);
    return services;
  }

  /** The running process's id, or undefined while stopped. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts atheme and resolves once it has linked and NickServ answers; the uplink must be running. */
  async start(): Promise<void> {
    await this.process.start();
  }

  /** SIGTERM (atheme saves its database on the way out), then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    await this.process.stop();
  }

  private writeConfig(uplink: AthemeUplink, options: AthemeOptions): void {
    const agent = (nick: string, real: string): string[] => [
      `  nick = "${nick}";`,
      `  user = "${nick}";`,
      `  host = "${this.name}";`,
      `  real = "${real}";`,
    ];
    const config = [
      // The uplink's protocol; InspIRCd 3 speaks the InspIRCd 2.0 protocol atheme 7.2 knows to it.
      'loadmodule "modules/protocol/inspircd";',
      'loadmodule "modules/backend/opensex";',
      'loadmodule "modules/crypto/pbkdf2v2";',
      ...[
        "main",
        "help",
        "register",
        "identify",
        "logout",
        "ghost",
        "info",
        "drop",
        "set_core",
        "set_password",
        "set_email",
      ].map((module) => `loadmodule "modules/nickserv/${module}";`),
      ...["main", "plain"].map((module) => `loadmodule "modules/saslserv/${module}";`),
      ...["main", "help", "register", "info", "flags", "op", "drop"].map(
        (module) => `loadmodule "modules/chanserv/${module}";`,
      ),
      "",
      `pbkdf2v2 { rounds = ${PASSWORD_HASH_ROUNDS}; };`,
      "",
      "serverinfo {",
      `  name = "${this.name}";`,
      '  desc = "Atheme test services";',
      `  numeric = "${options.numeric ?? "0SV"}";`,
      // Seconds before linking again after the uplink went away, e.g. during its restart.
      "  recontime = 1;",
      `  netname = "${uplink.networkName}";`,
      '  hidehostsuffix = "users.test";',
      '  adminname = "Test Admin";',
      `  adminemail = "admin@${this.name}";`,
      `  registeremail = "noreply@${this.name}";`,
      // No `mta`: nothing is ever mailed. `auth = none`: an account is usable as soon as it is registered.
      "  auth = none;",
      "  loglevel = { error; info; admin; network; register; };",
      `  maxlogins = ${MANY};`,
      // 0: any number of accounts may give the same email address.
      "  maxusers = 0;",
      "  mdlimit = 30;",
      "  emaillimit = 10;",
      "  emailtime = 300;",
      "  casemapping = rfc1459;",
      "};",
      "",
      `uplink "${uplink.name}" {`,
      `  host = "${uplink.host}";`,
      `  port = ${uplink.linkPort};`,
      `  password = "${uplink.password}";`,
      "};",
      "",
      "nickserv {",
      ...agent("NickServ", "Nickname Services"),
      "  maxnicks = 5;",
      "  expire = 30;",
      "};",
      "",
      "saslserv {",
      ...agent("SaslServ", "SASL Authentication Agent"),
      "};",
      "",
      "chanserv {",
      ...agent("ChanServ", "Channel Services"),
      `  maxchans = ${MANY};`,
      "  expire = 30;",
      "};",
      "",
      // No ratelimit_uses/ratelimit_period: leaving them out is what turns off the limit on REGISTER.
      "general {",
      "  flood_msgs = 0;",
      "  flood_time = 10;",
      "  kline_time = 7;",
      "  commit_interval = 5;",
      `  uplink_sendq_limit = ${16 * 1024 * 1024};`,
      '  language = "en";',
      "};",
      "",
      options.extraConfig ?? "",
      "",
    ];
    writeFileSync(this.configPath, config.join("\n"));
  }
}

/** Registers on the uplink and asks NickServ for help: "ready" once it answers, otherwise why not. */
function nickServAnswers(host: string, port: number): Promise<string> {
  return probe(host, port, {
    send: ["PRIVMSG NickServ :HELP"],
    check: (line) => {
      if (line.command === "401") return "NickServ is not on the network yet";
      if (line.command === "NOTICE" && line.source.toLowerCase().startsWith("nickserv!")) return "ready";
      return undefined;
    },
  });
}
