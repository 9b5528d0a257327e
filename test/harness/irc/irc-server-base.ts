// What the harness's IRC servers share whichever software runs them: a folder of their own in the suite's run folder,
// a free port on 127.0.0.1, and one ServerProcess behind the start/stop/restart/destroy lifecycle. Each server only
// says how it is configured and launched; a server with companions (InspIRCd's services) extends start and stop.

import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort } from "../free-port.ts";
import { type IrcServer, ServerProcess } from "./server-process.ts";

/** Where a new server lives: its folder, created, and a port nothing listens on yet. */
export interface ServerPlace {
  dataDir: string;
  port: number;
}

/** Creates `<runDir>/<folder>/` and picks a port for a server about to be configured there. */
export async function placeServer(runDir: string, folder: string): Promise<ServerPlace> {
  const dataDir = resolve(runDir, folder);
  mkdirSync(dataDir, { recursive: true });
  return { dataDir, port: await freePort() };
}

/** What a server's `create` takes; the server keeps everything in `<runDir>/<its software>/`. */
export interface ServerCreateOptions<Options> {
  /** The suite's run folder. */
  runDir: string;
  options?: Options;
}

/** How to run a server's process, which runs in the data folder; file names are relative to that folder. */
export interface ServerLaunch {
  /** Used in error messages, e.g. "ergo". */
  label: string;
  command: string;
  configFile: string;
  /** The command's arguments, given the configuration file's path. */
  args: (configPath: string) => string[];
  /** The server's own log. */
  logFile: string;
  /** Where the process's output goes when that is not the log; a failed start then quotes both. */
  stdoutFile?: string;
}

export abstract class IrcServerBase implements IrcServer {
  abstract readonly software: IrcServer["software"];
  readonly name: string;
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly dataDir: string;
  readonly logPath: string;
  readonly configPath: string;
  private readonly process: ServerProcess;

  protected constructor({ dataDir, port }: ServerPlace, name: string, launch: ServerLaunch) {
    this.dataDir = dataDir;
    this.port = port;
    this.name = name;
    this.logPath = join(dataDir, launch.logFile);
    this.configPath = join(dataDir, launch.configFile);
    const stdoutPath = launch.stdoutFile === undefined ? undefined : join(dataDir, launch.stdoutFile);
    this.process = new ServerProcess({
      label: launch.label,
      command: launch.command,
      args: launch.args(this.configPath),
      cwd: dataDir,
      host: this.host,
      port,
      outputPath: stdoutPath ?? this.logPath,
      logPaths: stdoutPath === undefined ? [this.logPath] : [stdoutPath, this.logPath],
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  async start(): Promise<void> {
    await this.process.start();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  // Through start and stop as the subclass defines them, so whatever runs alongside the server restarts with it.
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
