// ngIRCd comes from Debian's own package, installed on first use without starting its system service (see
// debian-package.ts).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureDebianPackage } from "../debian-package.ts";

export const NGIRCD_BINARY = "/usr/sbin/ngircd";
/** The Debian package's major version the configuration is written for. */
export const NGIRCD_MAJOR_VERSION = 26;

const execFileAsync = promisify(execFile);

/** Makes sure Debian's ngircd package is installed and returns the path of the server binary. */
export async function ensureNgircdInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "ngircd",
    label: "ngIRCd",
    binary: NGIRCD_BINARY,
    services: ["ngircd"],
    async verify() {
      const version = await ngircdVersion();
      if (!version.startsWith(`ngIRCd ${NGIRCD_MAJOR_VERSION}`)) {
        throw new Error(`expected ngIRCd ${NGIRCD_MAJOR_VERSION}.x, but ${NGIRCD_BINARY} reports ${version}`);
      }
      return version;
    },
  });
  return NGIRCD_BINARY;
}

/** The version the binary reports, e.g. "ngIRCd 26.1". */
export async function ngircdVersion(): Promise<string> {
  const { stdout } = await execFileAsync(NGIRCD_BINARY, ["--version"]);
  // "ngIRCd 26.1-…(x86_64/pc/linux-gnu)", then the copyright.
  return /^ngIRCd [0-9][0-9.~a-z]*/.exec(stdout)?.[0] ?? stdout.split("\n")[0]?.trim() ?? "";
}
