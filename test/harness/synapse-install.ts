// Installs a pinned Synapse into a virtualenv in the cache, once per machine. Test files run as separate processes, so
// several may ask at the same moment: one installs while the others wait on a file lock, and a marker written only
// after a verified install makes an interrupted one start over.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CACHE_DIR } from "./paths.ts";
import { systemPython } from "./system-python.ts";
import { spawnTied } from "./tied-process.ts";

export const SYNAPSE_VERSION = "1.163.2";

const VENV_DIR = join(CACHE_DIR, `synapse-venv-${SYNAPSE_VERSION}`);
const VENV_PYTHON = join(VENV_DIR, "bin", "python");
const MARKER = join(VENV_DIR, "installed-ok");
const LOCK_FILE = `${VENV_DIR}.lock`;
const INSTALL_LOG = `${VENV_DIR}.install.log`;
const LOCK_WAIT_MS = 15 * 60_000;

const execFileAsync = promisify(execFile);

/** Makes sure the pinned Synapse is installed and returns the path of the virtualenv's python. */
export async function ensureSynapseInstalled(): Promise<string> {
  if (existsSync(MARKER)) return VENV_PYTHON;
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = await acquireInstallLock();
  try {
    // Another process may have finished the install while this one waited for the lock.
    if (!existsSync(MARKER)) await install();
  } finally {
    await releaseInstallLock(lock);
  }
  return VENV_PYTHON;
}

async function install(): Promise<void> {
  const started = Date.now();
  process.stderr.write(
    `Installing Synapse ${SYNAPSE_VERSION} into ${VENV_DIR} (about a minute, once per machine; log: ${INSTALL_LOG})\n`,
  );
  rmSync(VENV_DIR, { recursive: true, force: true });
  writeFileSync(INSTALL_LOG, "");
  await runLogged(systemPython(), ["-m", "venv", VENV_DIR]);
  await runLogged(VENV_PYTHON, [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-input",
    `matrix-synapse==${SYNAPSE_VERSION}`,
  ]);
  const { stdout: installed } = await execFileAsync(VENV_PYTHON, [
    "-c",
    "import synapse, sys; sys.stdout.write(synapse.__version__)",
  ]);
  if (installed !== SYNAPSE_VERSION) {
    throw new Error(`expected Synapse ${SYNAPSE_VERSION} in ${VENV_DIR}, but it reports ${installed}`);
  }
  writeFileSync(MARKER, `${SYNAPSE_VERSION}\n`);
  process.stderr.write(
    `Installed Synapse ${SYNAPSE_VERSION} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

/** Runs a command with its output appended to the install log, failing with the log's tail. */
async function runLogged(command: string, args: string[]): Promise<void> {
  const fd = openSync(INSTALL_LOG, "a");
  let child: ChildProcess;
  try {
    child = spawnTied(command, args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode) => resolveExit(exitCode));
  });
  if (code !== 0) {
    const tail = readFileSync(INSTALL_LOG, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`${command} ${args.join(" ")} exited with ${code}; end of ${INSTALL_LOG}:\n${tail}`);
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

async function acquireInstallLock(): Promise<ChildProcess> {
  const holder = spawn(systemPython(), ["-c", LOCK_HOLDER, LOCK_FILE], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolveLocked, reject) => {
      timer = setTimeout(
        () => reject(new Error(`waited ${LOCK_WAIT_MS / 1000} s for the Synapse install lock ${LOCK_FILE}`)),
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

async function releaseInstallLock(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null || holder.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => holder.once("exit", () => resolveExit()));
  holder.stdin?.end();
  await exited;
}
