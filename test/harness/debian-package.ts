// Servers the harness takes from Debian's own packages (InspIRCd, ngIRCd, Atheme) are installed on first use. Such a
// package would also register and start a system service on a well-known port; the tests run their own instances
// on free ports, so the install keeps that service from starting (a policy-rc.d that answers 101, "action
// forbidden", is Debian's documented switch for it) and disables it where systemd runs, so nothing is left
// listening behind the tests' backs.
//
// All of them share one lock: apt itself would only make a second install wait, but the policy-rc.d is one file for
// the whole machine, and an install that removed it while another was still configuring its package would let that
// package's service start.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLogged, withInstallLock } from "./install-lock.ts";
import { CACHE_DIR } from "./paths.ts";

export interface DebianPackage {
  /** The package's name for apt, e.g. "inspircd". */
  name: string;
  /** For messages, e.g. "InspIRCd". */
  label: string;
  /** A file the package installs; while it exists the package counts as installed. */
  binary: string;
  /** The system services the package registers, disabled after the install. */
  services: string[];
  /** Checks what was installed and describes it, e.g. "InspIRCd-3.15.0"; throws if it is not what the harness needs. */
  verify: () => Promise<string>;
}

const LOCK_FILE = join(CACHE_DIR, "debian-packages.lock");
const POLICY_RC_D = "/usr/sbin/policy-rc.d";

/** Makes sure the package is installed, installing it with apt (as root) if needed. */
export async function ensureDebianPackage(pkg: DebianPackage): Promise<void> {
  if (existsSync(pkg.binary)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${pkg.binary} is missing and installing it needs root: run "apt-get install ${pkg.name}" once as root`,
    );
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  await withInstallLock(LOCK_FILE, pkg.label, async () => {
    // Another process may have finished the install while this one waited for the lock.
    if (!existsSync(pkg.binary)) await install(pkg);
  });
}

async function install(pkg: DebianPackage): Promise<void> {
  const started = Date.now();
  const logPath = join(CACHE_DIR, `${pkg.name}-install.log`);
  process.stderr.write(`Installing Debian's ${pkg.name} package (once per machine; log: ${logPath})\n`);
  writeFileSync(logPath, "");
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
    await runLogged("apt-get", [...aptLockWait, "update"], { logPath, env });
    await runLogged("apt-get", [...aptLockWait, "install", "-y", "--no-install-recommends", pkg.name], {
      logPath,
      env,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  if (existsSync("/run/systemd/system")) {
    for (const service of pkg.services) {
      // Also keeps it from starting at the next boot; failure only means there was nothing to stop or disable.
      await runLogged("systemctl", ["disable", "--now", service], { logPath, env }).catch(() => {});
    }
  }
  if (!existsSync(pkg.binary)) {
    throw new Error(`apt-get installed ${pkg.name}, but ${pkg.binary} is still missing; see ${logPath}`);
  }
  const installed = await pkg.verify();
  process.stderr.write(`Installed ${installed} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
