// InspIRCd comes from Debian's own package, installed on first use without starting its system service (see
// debian-package.ts).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureDebianPackage } from "../debian-package.ts";

export const INSPIRCD_BINARY = "/usr/sbin/inspircd";
/** The Debian package's major version the configuration is written for. */
export const INSPIRCD_MAJOR_VERSION = 3;

const execFileAsync = promisify(execFile);

/** Makes sure Debian's inspircd package is installed and returns the path of the server binary. */
export async function ensureInspircdInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "inspircd",
    label: "InspIRCd",
    binary: INSPIRCD_BINARY,
    services: ["inspircd"],
    async verify() {
      const version = await inspircdVersion();
      if (!version.startsWith(`InspIRCd-${INSPIRCD_MAJOR_VERSION}.`)) {
        throw new Error(
          `expected InspIRCd ${INSPIRCD_MAJOR_VERSION}.x, but ${INSPIRCD_BINARY} reports ${version}`,
        );
      }
      return version;
    },
  });
  return INSPIRCD_BINARY;
}

/** What the binary says of itself, e.g. "InspIRCd-3.15.0". */
export async function inspircdVersion(): Promise<string> {
  const { stdout } = await execFileAsync(INSPIRCD_BINARY, ["--version"]);
  return stdout.trim();
}
