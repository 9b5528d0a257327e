// Prosody comes from Debian's own package, installed on first use without starting its system service (see
// debian-package.ts).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureDebianPackage } from "../debian-package.ts";

export const PROSODY_BINARY = "/usr/bin/prosody";
/** The Debian package's version line the configuration is written for. */
export const PROSODY_MAJOR_VERSION = "0.12";

const execFileAsync = promisify(execFile);

/** Makes sure Debian's prosody package is installed and returns the path of the server binary. */
export async function ensureProsodyInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "prosody",
    label: "Prosody",
    binary: PROSODY_BINARY,
    services: ["prosody"],
    async verify() {
      const version = await prosodyVersion();
      if (!version.startsWith(`Prosody ${PROSODY_MAJOR_VERSION}`)) {
        throw new Error(`expected Prosody ${PROSODY_MAJOR_VERSION}.x, but the package is ${version}`);
      }
      return version;
    },
  });
  return PROSODY_BINARY;
}

/** The installed package's version, e.g. "Prosody 0.12.3-1+deb12u1". */
async function prosodyVersion(): Promise<string> {
  // "prosody<TAB><version>"
  const { stdout } = await execFileAsync("dpkg-query", ["-W", "prosody"]);
  const version = stdout.trim().split("\t")[1] ?? stdout.trim();
  return `Prosody ${version}`;
}
