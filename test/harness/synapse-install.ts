// Installs a pinned Synapse into a virtualenv in the cache, once per machine. Test files run as separate processes, so
// several may ask at the same moment: one installs while the others wait on a file lock, and a marker written only
// after a verified install makes an interrupted one start over.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { runLogged, withInstallLock } from "./install-lock.ts";
import { CACHE_DIR } from "./paths.ts";
import { systemPython } from "./system-python.ts";

export const SYNAPSE_VERSION = "1.163.2";

const VENV_DIR = join(CACHE_DIR, `synapse-venv-${SYNAPSE_VERSION}`);
const VENV_PYTHON = join(VENV_DIR, "bin", "python");
const MARKER = join(VENV_DIR, "installed-ok");
const LOCK_FILE = `${VENV_DIR}.lock`;
const INSTALL_LOG = `${VENV_DIR}.install.log`;

const execFileAsync = promisify(execFile);

/** Makes sure the pinned Synapse is installed and returns the path of the virtualenv's python. */
export async function ensureSynapseInstalled(): Promise<string> {
  if (existsSync(MARKER)) return VENV_PYTHON;
  mkdirSync(CACHE_DIR, { recursive: true });
  await withInstallLock(LOCK_FILE, "Synapse", async () => {
    // Another process may have finished the install while this one waited for the lock.
    if (!existsSync(MARKER)) await install();
  });
  return VENV_PYTHON;
}

async function install(): Promise<void> {
  const started = Date.now();
  process.stderr.write(
    `Installing Synapse ${SYNAPSE_VERSION} into ${VENV_DIR} (about a minute, once per machine; log: ${INSTALL_LOG})\n`,
  );
  rmSync(VENV_DIR, { recursive: true, force: true });
  writeFileSync(INSTALL_LOG, "");
  const logged = { logPath: INSTALL_LOG };
  await runLogged(systemPython(), ["-m", "venv", VENV_DIR], logged);
  await runLogged(
    VENV_PYTHON,
    [
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--no-input",
      `matrix-synapse==${SYNAPSE_VERSION}`,
    ],
    logged,
  );
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
