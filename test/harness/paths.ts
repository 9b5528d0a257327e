// Where the end-to-end harness keeps things. The cache holds slow-to-build artefacts (the Synapse virtualenv) and
// lives outside the repository so a fresh clone or `git clean` does not throw it away; run folders hold one suite's
// homeserver data and logs and live inside the repository (gitignored) so they are easy to find after a failure.

import { homedir } from "node:os";
import { join, resolve } from "node:path";

export const REPO_ROOT: string = resolve(import.meta.dirname, "..", "..");
export const CACHE_DIR: string = process.env["BRIDGE_CACHE"] ?? join(homedir(), ".cache", "matrix-bridges");
export const RUNS_DIR: string = join(REPO_ROOT, ".run");
