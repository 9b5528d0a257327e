// Runs one IRC server process for the harness: started tied to the test process, ready once a real client
// registers, stopped by pid with SIGTERM and then SIGKILL. An open port alone is not "ready": both ergo and
// InspIRCd listen before they finish loading, so readiness is a full NICK/USER handshake answered with 001.

import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnTied } from "../tied-process.ts";

/** What every IRC server of the harness offers, whichever software runs it. */
export interface IrcServer {
  readonly software: "ergo" | "inspircd";
  /** The server's own name, the prefix of its numerics. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The server's folder inside the run folder: configuration, data and logs. */
  readonly dataDir: string;
  /** The server's log; a failed start quotes its last lines. */
  readonly logPath: string;
  /** The running process's id, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Starts the server and resolves once a client can register. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period; the data stays for the next `start()`. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops, and removes the data folder unless it should be kept for a look after a failure. */
  destroy(keepData: boolean): Promise<void>;
}

export interface ServerProcessSpec {
  /** Used in error messages, e.g. "ergo". */
  label: string;
  command: string;
  args: string[];
  cwd: string;
  host: string;
  port: number;
  /** Where the process's stdout and stderr go. */
  outputPath: string;
  /** Files whose ends a failed start quotes, the output included. */
  logPaths: string[];
  readyTimeoutMs?: number;
  stopGraceMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_GRACE_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;
const LOG_TAIL_LINES = 40;

// Belt and braces with spawnTied: on an ordinary exit, even one by an uncaught error, kill what is still running.
const runningServers = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of runningServers) child.kill("SIGKILL");
});

export class ServerProcess {
  private readonly spec: ServerProcessSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ServerProcessSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const { spec } = this;
    if (this.child) throw new Error(`${spec.label} is already running (pid ${this.child.pid})`);
    const out = openSync(spec.outputPath, "a");
    let child: ChildProcess;
    try {
      child = spawnTied(spec.command, spec.args, { cwd: spec.cwd, stdio: ["ignore", out, out] });
    } finally {
      closeSync(out);
    }
    this.child = child;
    runningServers.add(child);
    let exitReason: string | undefined;
    this.exited = new Promise((resolveExit) => {
      const finish = (reason: string): void => {
        exitReason ??= reason;
        runningServers.delete(child);
        if (this.child === child) this.child = undefined;
        resolveExit();
      };
      child.once("error", (error) => finish(`could not be started: ${error.message}`));
      child.once("exit", (code, signal) => finish(`exited with ${signal ?? code}`));
    });

    const timeoutMs = spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let lastProbe = "no attempt yet";
    while (Date.now() < deadline) {
      if (exitReason !== undefined) {
        throw new Error(`${spec.label} ${exitReason} during startup.\n${this.logTails()}`);
      }
      lastProbe = await registers(spec.host, spec.port);
      if (lastProbe === "registered") return;
      await Promise.race([sleep(50), this.exited]);
    }
    await this.stop();
    throw new Error(
      `${spec.label} did not register a client within ${timeoutMs / 1000} s (last attempt: ${lastProbe}).\n` +
        this.logTails(),
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const escalation = setTimeout(
      () => child.kill("SIGKILL"),
      this.spec.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    );
    await this.exited;
    clearTimeout(escalation);
  }

  logTails(): string {
    return this.spec.logPaths
      .map((path) => {
        const lines = existsSync(path) ? readFileSync(path, "utf8").trimEnd().split("\n") : [];
        return `--- last lines of ${path} ---\n${lines.slice(-LOG_TAIL_LINES).join("\n")}`;
      })
      .join("\n");
  }
}

/**
 * Connects, registers with NICK/USER and quits: "registered" once 001 arrives, otherwise a short reason. Answers a
 * PING on the way, which some servers send before registration completes.
 */
export function registers(host: string, port: number): Promise<string> {
  return new Promise((resolveProbe) => {
    const nick = `probe${randomBytes(3).toString("hex")}`;
    const socket = connect({ host, port });
    let buffered = "";
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome === "registered") socket.end("QUIT :ready\r\n");
      else socket.destroy();
      resolveProbe(outcome);
    };
    timer = setTimeout(() => settle(`no 001 within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :readiness probe\r\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\r\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const words = line.split(" ");
        if (words[0] === "PING") socket.write(`PONG ${words.slice(1).join(" ")}\r\n`);
        else if (words[1] === "001") settle("registered");
        else if (words[0] === "ERROR") settle(line);
      }
    });
    socket.once("error", (error) => settle(error.message));
    socket.once("close", () => settle("connection closed before 001"));
  });
}
