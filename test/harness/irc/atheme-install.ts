// Atheme IRC services come from Debian's own package, installed on first use without starting its system service
// (see debian-package.ts). The package's modules live in its own folder, which the configuration's `loadmodule`
// lines name relative to.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureDebianPackage } from "../debian-package.ts";

export const ATHEME_BINARY = "/usr/bin/atheme-services";
/** The Debian package's major version the configuration is written for. */
export const ATHEME_MAJOR_VERSION = 7;

const execFileAsync = promisify(execFile);

/** Makes sure Debian's atheme-services package is installed and returns the path of the services binary. */
export async function ensureAthemeInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "atheme-services",
    label: "Atheme",
    binary: ATHEME_BINARY,
    services: ["atheme-services"],
    async verify() {
      const version = await athemeVersion();
      if (!version.startsWith(`atheme ${ATHEME_MAJOR_VERSION}.`)) {
        throw new Error(`expected atheme ${ATHEME_MAJOR_VERSION}.x, but ${ATHEME_BINARY} reports ${version}`);
      }
      return version;
    },
  });
  return ATHEME_BINARY;
}

/** The version the binary reports, e.g. "atheme 7.2.12". */
export async function athemeVersion(): Promise<string> {
  const { stdout } = await execFileAsync(ATHEME_BINARY, ["-v"]);
  // "Atheme IRC Services (atheme 7.2.12), build-id …", then the credits.
  return /\((atheme [^)]+)\)/.exec(stdout)?.[1] ?? stdout.split("\n")[0]?.trim() ?? "";
}
