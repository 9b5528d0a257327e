// ejabberd comes from Debian's own package, installed on first use without starting its system service (see
// debian-package.ts).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ensureDebianPackage } from "../debian-package.ts";

export const EJABBERDCTL = "/usr/sbin/ejabberdctl";
/** The Debian package's version line the configuration is written for. */
export const EJABBERD_MAJOR_VERSION = "23.";

const execFileAsync = promisify(execFile);

/** Makes sure Debian's ejabberd package is installed and returns the path of its control script. */
export async function ensureEjabberdInstalled(): Promise<string> {
  await ensureDebianPackage({
    name: "ejabberd",
    label: "ejabberd",
    binary: EJABBERDCTL,
    services: ["ejabberd"],
    async verify() {
      const version = await ejabberdVersion();
      if (!version.startsWith(`ejabberd ${EJABBERD_MAJOR_VERSION}`)) {
        throw new Error(`expected ejabberd ${EJABBERD_MAJOR_VERSION}x, but the package is ${version}`);
      }
      return version;
    },
  });
  return EJABBERDCTL;
}

/** The installed package's version, e.g. "ejabberd 23.01-1". */
async function ejabberdVersion(): Promise<string> {
  // "ejabberd<TAB><version>"
  const { stdout } = await execFileAsync("dpkg-query", ["-W", "ejabberd"]);
  const version = stdout.trim().split("\t")[1] ?? stdout.trim();
  return `ejabberd ${version}`;
}
