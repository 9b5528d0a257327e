// The bridge's version, read from bridge-core's package.json so that `--version`, the `version` command and logs
// agree with what was installed.

import { readFileSync } from "node:fs";

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export const BRIDGE_VERSION = readVersion();
