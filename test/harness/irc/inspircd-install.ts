// InspIRCd comes from Debian's own package, installed on first use. The package would also register and start a
// system service on port 6667; the tests run their own instances on free ports, so the install keeps that service
// from starting (a policy-rc.d that answers 101, "action forbidden", is Debian's documented switch for it) and
// disables it where systemd runs, so nothing is left listening behind the tests' backs.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CACHE_DIR } from "../paths.ts";
import { runLogged, withInstallLock } from "./install-lock.ts";

export const INSPIRCD_BINARY = "/usr/sbin/inspircd";
/** The Debian package's major version the configuration is written for. */
export const INSPIRCD_MAJOR_VERSION = 3;

const LOCK_FILE = join(CACHE_DIR, "inspircd-install.lock");
const INSTALL_LOG = join(CACHE_DIR, "inspircd-install.log");
const POLICY_RC_D = "/usr/sbin/policy-rc.d";

const execFileAsync = promisify(execFile);

/** Makes sure Debian's inspircd package is installed and returns the path of the server binary. */
export async function ensureInspircdInstalled(): Promise<string> {
  if (existsSync(INSPIRCD_BINARY)) return INSPIRCD_BINARY;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${INSPIRCD_BINARY} is missing and installing it needs root: run "apt-get install inspircd" once as root`,
    );
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  await withInstallLock(LOCK_FILE, "InspIRCd", async () => {
    if (!existsSync(INSPIRCD_BINARY)) await install();
  });
  return INSPIRCD_BINARY;
}

async function install(): Promise<void> {
  const started = Date.now();
  process.stderr.write(`Installing Debian's inspircd package (once per machine; log: ${INSTALL_LOG})\n`);
  writeFileSync(INSTALL_LOG, "");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // apt waits this long for another apt or dpkg run instead of failing at once.
  const aptLockWait = ["-o", "DPkg::Lock::Timeout=600"];
  // Leave an existing policy alone (container images often ship one), and remove only the one written here.
  const ownPolicy = !existsSync(POLICY_RC_D);
  if (ownPolicy)
    writeFileSync(POLICY_RC_D, "#!/bin/sh\n# Keeps package installs from starting services.\nexit 101\n", {
      mode: 0o755,
    });
  try {
    await runLogged("apt-get", [...aptLockWait, "update"], { logPath: INSTALL_LOG, env });
    await runLogged("apt-get", [...aptLockWait, "install", "-y", "--no-install-recommends", "inspircd"], {
      logPath: INSTALL_LOG,
      env,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  if (existsSync("/run/systemd/system")) {
    // Also keeps it from starting at the next boot; failure only means there was nothing to stop or disable.
    await runLogged("systemctl", ["disable", "--now", "inspircd"], { logPath: INSTALL_LOG, env }).catch(
      () => {},
    );
  }
  if (!existsSync(INSPIRCD_BINARY)) {
    throw new Error(
      `apt-get installed inspircd, but ${INSPIRCD_BINARY} is still missing; see ${INSTALL_LOG}`,
    );
  }
  const version = await inspircdVersion();
  if (!version.startsWith(`InspIRCd-${INSPIRCD_MAJOR_VERSION}.`)) {
    throw new Error(
      `expected InspIRCd ${INSPIRCD_MAJOR_VERSION}.x, but ${INSPIRCD_BINARY} reports ${version}`,
    );
  }
  process.stderr.write(`Installed ${version} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/** What the binary says of itself, e.g. "InspIRCd-3.15.0". */
export async function inspircdVersion(): Promise<string> {
  const { stdout } = await execFileAsync(INSPIRCD_BINARY, ["--version"]);
  return stdout.trim();
}
