// The bridge as admins run it: the `matrix-bridge` CLI in its own process. Output is kept for assertions and written
// to a log file in the run folder; the process is stopped by its pid.

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { CLI } from "./bridge-stack.ts";

export class BridgeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  private output = "";
  private exitResult: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], logPath: string) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    if (this.child.pid === undefined) throw new Error("the bridge process did not start");
    this.pid = this.child.pid;
    const record = (chunk: Buffer) => {
      this.output += chunk.toString("utf8");
      appendFileSync(logPath, chunk);
    };
    this.child.stdout?.on("data", record);
    this.child.stderr?.on("data", record);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitResult = { code, signal };
        resolve(this.exitResult);
      });
    });
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get text(): string {
    return this.output;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.exitResult !== null) {
        throw new Error(
          `the bridge exited (${JSON.stringify(this.exitResult)}) before printing ${pattern}:\n${this.output}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`the bridge did not print ${pattern} in ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async waitForExit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`the bridge did not exit within ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      ).unref(),
    );
    return Promise.race([this.exited, timeout]);
  }

  /** Stops the process if it still runs: SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.exitResult !== null) return;
    process.kill(this.pid, "SIGTERM");
    try {
      await this.waitForExit(10_000);
    } catch {
      process.kill(this.pid, "SIGKILL");
      await this.exited;
    }
  }
}
