// A real PostgreSQL for the suites that run the bridge on its PostgreSQL store: Debian's server package, installed
// on first use like the IRC servers, never started as a system service. Each suite gets a cluster of its own in its
// run folder, made by initdb and run by an unprivileged user (PostgreSQL refuses to run as root), listening on
// 127.0.0.1 on a free port and on a unix socket inside its data folder only, with a password, so the bridge connects
// the way it does to a production database. It is stopped by its pid at teardown, or killed with the test process.

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { ensureDebianPackage } from "./debian-package.ts";
import { freePort } from "./free-port.ts";
import { ManagedProcess } from "./managed-process.ts";

const run = promisify(execFile);
const LIB = "/usr/lib/postgresql";
const USER = "bridge";
/** Debian's `nobody`: owns the cluster's files when the tests run as root. */
const NOBODY = 65534;
const NOGROUP = 65534;

/** The newest server Debian installed: /usr/lib/postgresql/<major>/bin. */
function serverBin(): string | null {
  if (!existsSync(LIB)) return null;
  const majors = readdirSync(LIB)
    .filter((name) => existsSync(join(LIB, name, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? null : join(LIB, majors[0], "bin");
}

export async function ensurePostgresInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "postgresql",
    label: "PostgreSQL",
    // postgresql-common, which every Debian server package depends on; the server's own path has its major in it.
    binary: "/usr/bin/pg_ctlcluster",
    services: ["postgresql"],
    verify: async () => {
      const bin = serverBin();
      if (bin === null) throw new Error(`the postgresql package installed no server under ${LIB}`);
      return (await run(join(bin, "postgres"), ["--version"])).stdout.trim();
    },
  });
  const bin = serverBin();
  if (bin === null) throw new Error(`no PostgreSQL server under ${LIB}; apt-get install postgresql`);
  return bin;
}

export class PostgresCluster {
  readonly port: number;
  private readonly password: string;
  private readonly process: ManagedProcess;
  private databases = 0;

  private constructor(port: number, password: string, process: ManagedProcess) {
    this.port = port;
    this.password = password;
    this.process = process;
  }

  /** Makes a cluster in `<runDir>/<name>` and starts it; stop it with `stop`. */
  static async start(runDir: string, name = "postgres"): Promise<PostgresCluster> {
    const bin = await ensurePostgresInstalled();
    const asRoot = process.getuid?.() === 0;
    const owner = asRoot ? { uid: NOBODY, gid: NOGROUP } : {};
    const home = join(runDir, name);
    const data = join(home, "data");
    mkdirSync(home, { recursive: true });
    if (asRoot) chownSync(home, NOBODY, NOGROUP);
    const password = randomBytes(12).toString("hex");
    const pwfile = join(home, "pwfile");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (asRoot) chownSync(pwfile, NOBODY, NOGROUP);
    await run(
      join(bin, "initdb"),
      ["-D", data, "-U", USER, `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"],
      { ...owner, cwd: home },
    );
    const port = await freePort();
    const server = [join(bin, "postgres")];
    // setpriv drops to nobody and sets the parent-death signal again afterwards: the kernel clears the one the
    // harness's launcher set when the process changes its user.
    const command = asRoot
      ? [
          "setpriv",
          `--reuid=${NOBODY}`,
          `--regid=${NOGROUP}`,
          "--clear-groups",
          "--pdeathsig=SIGKILL",
          ...server,
        ]
      : server;
    const managed = new ManagedProcess({
      label: "PostgreSQL",
      command: command[0] ?? "postgres",
      args: [
        ...command.slice(1),
        "-D",
        data,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${data}`,
        "-c",
        "max_connections=200",
      ],
      cwd: home,
      outputPath: join(home, "postgres.log"),
      logPaths: [join(home, "postgres.log")],
      isReady: () => canConnect(url(port, password, "postgres")),
      readiness: "accept connections",
      readyTimeoutMs: 60_000,
      // SIGTERM would wait for every client to disconnect; SIGINT ends their sessions and shuts down cleanly.
      stopSignal: "SIGINT",
      // Its shutdown checkpoint can take tens of seconds on a busy machine; a SIGKILL meanwhile leaves the server's
      // children holding the shared memory, and the next start on the same data fails.
      stopGraceMs: 90_000,
    });
    await managed.start();
    return new PostgresCluster(port, password, managed);
  }

  /** A new, empty database, as the URL a bridge config takes (`store.url`). */
  async createDatabase(prefix = "bridge"): Promise<string> {
    const name = `${prefix}_${++this.databases}`;
    const client = new pg.Client({ connectionString: url(this.port, this.password, "postgres") });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return url(this.port, this.password, name);
  }

  /** The secret in every URL this cluster hands out, for the suites' check that no log holds it. */
  get secret(): string {
    return this.password;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  /** Starts the stopped server again on the same data and port. */
  restart(): Promise<void> {
    return this.process.start();
  }
}

const url = (port: number, password: string, database: string) =>
  `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`;

async function canConnect(connectionString: string): Promise<true | string> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}
