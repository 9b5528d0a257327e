// What every installer of the harness shares (Synapse, the IRC servers, their services): test files run as separate
// processes, so several may ask for the same thing at once. One installs while the others wait on a file lock, and
// each installer writes its marker only after a verified install, so an interrupted one starts over next time.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { systemPython } from "./system-python.ts";
import { spawnTied } from "./tied-process.ts";

const LOCK_WAIT_MS = 15 * 60_000;
const LOG_TAIL_LINES = 30;

/**
 * Runs `install` while holding an exclusive lock on `lockFile`. Callers check their marker before and again inside
 * `install`, since another process may have finished while this one waited.
 */
export async function withInstallLock<T>(
  lockFile: string,
  what: string,
  install: () => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const lock = await acquire(lockFile, what);
  try {
    return await install();
  } finally {
    await release(lock);
  }
}

export interface RunLoggedOptions {
  /** The command's output is appended here; a failure quotes its last lines. */
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion with its output appended to a log, failing with the log's tail. */
export async function runLogged(command: string, args: string[], options: RunLoggedOptions): Promise<void> {
  const fd = openSync(options.logPath, "a");
  let child: ChildProcess;
  try {
    child = spawnTied(command, args, {
      stdio: ["ignore", fd, fd],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
  } finally {
    closeSync(fd);
  }
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode) => resolveExit(exitCode));
  });
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${code}; end of ${options.logPath}:\n${logTail(options.logPath)}`,
    );
  }
}

export function logTail(path: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// Node has no flock, so a tiny python process takes it and holds it until its stdin closes. The kernel drops the
// lock when that process dies, and it dies when we do (its stdin pipe closes), so a crashed install never leaves a
// stale lock behind, which a lock directory or pid file would.
const LOCK_HOLDER = [
  "import fcntl, sys",
  "f = open(sys.argv[1], 'a')",
  "fcntl.flock(f, fcntl.LOCK_EX)",
  "sys.stdout.write('locked\\n'); sys.stdout.flush()",
  "sys.stdin.read()",
].join("\n");

async function acquire(lockFile: string, what: string): Promise<ChildProcess> {
  const holder = spawn(systemPython(), ["-c", LOCK_HOLDER, lockFile], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolveLocked, reject) => {
      timer = setTimeout(
        () => reject(new Error(`waited ${LOCK_WAIT_MS / 1000} s for the ${what} install lock ${lockFile}`)),
        LOCK_WAIT_MS,
      );
      holder.once("error", reject);
      holder.once("exit", (code) => reject(new Error(`the install lock holder exited early with ${code}`)));
      holder.stdout?.once("data", () => resolveLocked());
    });
  } catch (error) {
    holder.kill("SIGKILL");
    throw error;
  } finally {
    clearTimeout(timer);
    holder.removeAllListeners("exit");
  }
  return holder;
}

async function release(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => holder.once("exit", () => resolveExit()));
  holder.stdin?.end();
  await exited;
}
