// One server process of the harness (a homeserver, an IRC server, IRC services): started tied to the test process,
// ready once its own check says so, stopped by pid with SIGTERM and then SIGKILL. A failed start quotes the ends of
// its logs, since that is usually all a CI failure leaves to go on.

import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnTied } from "./tied-process.ts";

export interface ManagedProcessSpec {
  /** Used in error messages, e.g. "Synapse". */
  label: string;
  command: string;
  args: string[];
  cwd: string;
  /** Defaults to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Where the process's stdout and stderr go. */
  outputPath: string;
  /** Files whose ends a failed start quotes, the output included. */
  logPaths: string[];
  /** Resolves with true once the process serves, otherwise with what is still missing. */
  isReady: () => Promise<true | string>;
  /** What `isReady` waits for, completing "<label> did not …", e.g. "register a client". */
  readiness: string;
  /** Pause between two checks; defaults to 50 ms. */
  pollMs?: number;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /** What `stop` sends first; defaults to SIGTERM (PostgreSQL shuts down at once only on SIGINT). */
  stopSignal?: NodeJS.Signals;
}

const DEFAULT_POLL_MS = 50;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 40;

// Belt and braces with spawnTied: on an ordinary exit, even one by an uncaught error, kill what is still running.
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export class ManagedProcess {
  private readonly spec: ManagedProcessSpec;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ManagedProcessSpec) {
    this.spec = spec;
  }

  /** The running process's id, or undefined while stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and resolves once it is ready; stops it again and throws if it does not get there. */
  async start(): Promise<void> {
    const { spec } = this;
    if (this.child) throw new Error(`${spec.label} is already running (pid ${this.child.pid})`);
    const out = openSync(spec.outputPath, "a");
    let child: ChildProcess;
    try {
      child = spawnTied(spec.command, spec.args, {
        cwd: spec.cwd,
        stdio: ["ignore", out, out],
        ...(spec.env === undefined ? {} : { env: spec.env }),
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    running.add(child);
    let exitReason: string | undefined;
    this.exited = new Promise((resolveExit) => {
      const finish = (reason: string): void => {
        exitReason ??= reason;
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolveExit();
      };
      child.once("error", (error) => finish(`could not be started: ${error.message}`));
      child.once("exit", (code, signal) => finish(`exited with ${signal ?? code}`));
    });

    const timeoutMs = spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let lastCheck = "no attempt yet";
    while (Date.now() < deadline) {
      if (exitReason !== undefined) {
        throw new Error(`${spec.label} ${exitReason} during startup.\n${this.logTails()}`);
      }
      const ready = await spec.isReady();
      if (ready === true) return;
      lastCheck = ready;
      await Promise.race([sleep(spec.pollMs ?? DEFAULT_POLL_MS), this.exited]);
    }
    await this.stop();
    throw new Error(
      `${spec.label} did not ${spec.readiness} within ${timeoutMs / 1000} s (last attempt: ${lastCheck}).\n` +
        this.logTails(),
    );
  }

  /** SIGTERM (or the spec's stop signal), then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(this.spec.stopSignal ?? "SIGTERM");
    const escalation = setTimeout(
      () => child.kill("SIGKILL"),
      this.spec.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
    );
    await this.exited;
    clearTimeout(escalation);
  }

  /** The last lines of each log, for failure messages. */
  logTails(): string {
    return this.spec.logPaths
      .map((path) => {
        const lines = existsSync(path) ? readFileSync(path, "utf8").trimEnd().split("\n") : [];
        return `--- last lines of ${path} ---\n${lines.slice(-LOG_TAIL_LINES).join("\n")}`;
      })
      .join("\n");
  }
}
