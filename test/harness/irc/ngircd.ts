// A real ngIRCd (Debian's package) for end-to-end tests: one per suite, plain text on 127.0.0.1 only, with its
// configuration, pid file and log in the suite's run folder. ngIRCd is the small, strict RFC 2812 server of the
// harness: no services, few IRCv3 extensions. Its per-IP limit, channel limit and command penalties are lifted so
// that tests and benchmarks measure the bridge, not the server's defences.

import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IrcServerBase, placeServer, type ServerCreateOptions, type ServerPlace } from "./irc-server-base.ts";
import { ensureNgircdInstalled } from "./ngircd-install.ts";

export interface NgircdOptions {
  /** Defaults to "ngircd.test"; ngIRCd wants a name with a dot in it. */
  serverName?: string;
  /** Defaults to "NgTest". */
  networkName?: string;
  /**
   * Raw configuration lines appended at the end, e.g. "[Options]\nCloakHost = cloaked.test". A later assignment
   * wins over an earlier one in the same section.
   */
  extraConfig?: string;
}

export type NgircdCreateOptions = ServerCreateOptions<NgircdOptions>;

// ngIRCd's own ceiling for nicks (its buffer holds 32 bytes with the terminator); the RFC's 9 would refuse the
// longer nicks bridges give their puppets.
const MAX_NICK_LENGTH = 31;

export class NgircdServer extends IrcServerBase {
  readonly software = "ngircd";
  readonly pidPath: string;

  private constructor(binary: string, place: ServerPlace, name: string) {
    super(place, name, {
      label: "ngIRCd",
      command: binary,
      configFile: "ngircd.conf",
      args: (configPath) => ["--nodaemon", "--config", configPath],
      // Everything ngIRCd logs (in the foreground it logs to the console, not to syslog).
      logFile: "ngircd.log",
    });
    this.pidPath = join(place.dataDir, "run", "ngircd.pid");
  }

  /** Installs ngIRCd if needed and writes the configuration; `start()` runs it. */
  static async create({ runDir, options = {} }: NgircdCreateOptions): Promise<NgircdServer> {
    const binary = await ensureNgircdInstalled();
    const place = await placeServer(runDir, "ngircd");
    const server = new NgircdServer(binary, place, options.serverName ?? "ngircd.test");
    server.writeConfig(options);
    return server;
  }

  private writeConfig(options: NgircdOptions): void {
    // The machine's own snippets (/etc/ngircd/ngircd.conf.d by default) must not reach into a test server.
    const includeDir = join(this.dataDir, "conf.d");
    mkdirSync(includeDir, { recursive: true });
    const runAs = this.unprivilegedUser();
    const config = [
      "[Global]",
      `Name = ${this.name}`,
      "Info = ngIRCd test server",
      `Network = ${options.networkName ?? "NgTest"}`,
      "AdminInfo1 = Test Admin",
      "AdminInfo2 = end-to-end tests",
      `AdminEMail = admin@${this.name}`,
      `Listen = ${this.host}`,
      `Ports = ${this.port}`,
      "MotdPhrase = ngIRCd test server",
      `PidFile = ${this.pidPath}`,
      ...(runAs ? [`ServerUID = ${runAs.uid}`, `ServerGID = ${runAs.gid}`] : []),
      "",
      "[Limits]",
      // 0 lifts the limit: connections in all and per IP (a thousand puppets share 127.0.0.1), and channels per user.
      "MaxConnections = 0",
      "MaxConnectionsIP = 0",
      "MaxJoins = 0",
      `MaxNickLength = ${MAX_NICK_LENGTH}`,
      // No penalty seconds at all: otherwise every command past the third in a row, or past 256 bytes in a second,
      // delays the connection by a second, which is ngIRCd's flood protection.
      "MaxPenaltyTime = 0",
      "MaxListSize = 100000",
      "PingTimeout = 120",
      "PongTimeout = 60",
      "",
      "[Options]",
      // No lookups to wait for: nothing resolves names here, and nothing answers ident.
      "DNS = no",
      "Ident = no",
      // Otherwise every client would be authenticated against the machine's accounts.
      "PAM = no",
      `IncludeDir = ${includeDir}`,
      "",
      options.extraConfig ?? "",
      "",
    ];
    writeFileSync(this.configPath, config.join("\n"));
  }

  /**
   * ngIRCd refuses to keep running as root and switches to "nobody" by itself; it then writes the pid file, so the
   * folder for it must belong to that user. Named explicitly here so the configuration says what happens. (Where a
   * parent folder is closed to that user, ngIRCd only logs that it could not write the pid file and runs on.)
   */
  private unprivilegedUser(): { uid: number; gid: number } | undefined {
    const runDir = join(this.dataDir, "run");
    mkdirSync(runDir, { recursive: true });
    if (process.getuid?.() !== 0) return undefined;
    const user = passwdEntry("nobody");
    if (!user)
      throw new Error('ngIRCd will not run as root, and this machine has no "nobody" user to run it as');
    chownSync(runDir, user.uid, user.gid);
    return user;
  }
}

function passwdEntry(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
