// Builds a pinned Dendrite from the Go module proxy into the cache, once per machine (about two minutes on two cores;
// the Go build cache makes a rebuild much quicker). Test files run as separate processes, so several may ask at the
// same moment: one builds while the others wait on the shared install lock, and a marker written only after the
// binary answered with the pinned version makes an interrupted build start over.
//
// The module is github.com/matrix-org/dendrite, the Apache-2.0 project, whose last release is v0.13.8; its later
// development moved to a fork under another licence, which the harness does not use. Only the three commands the
// harness runs are built, not `cmd/...` (which also builds the P2P demos): the monolith `dendrite`, `generate-keys`
// for the signing key and `generate-config` for a configuration with every default of this release.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { runLogged, withInstallLock } from "./install-lock.ts";
import { goBinary } from "./irc/ergo-install.ts";
import { CACHE_DIR } from "./paths.ts";

export const DENDRITE_VERSION = "v0.13.8";
export const DENDRITE_MODULE = "github.com/matrix-org/dendrite";
const COMMANDS = ["dendrite", "generate-keys", "generate-config"] as const;

const INSTALL_DIR = join(CACHE_DIR, `dendrite-${DENDRITE_VERSION}`);
const BIN_DIR = join(INSTALL_DIR, "bin");
const MARKER = join(INSTALL_DIR, "installed-ok");
const LOCK_FILE = `${INSTALL_DIR}.lock`;
const INSTALL_LOG = `${INSTALL_DIR}.install.log`;

const execFileAsync = promisify(execFile);

export type DendriteBinaries = Record<(typeof COMMANDS)[number], string>;

const BINARIES = Object.fromEntries(COMMANDS.map((name) => [name, join(BIN_DIR, name)])) as DendriteBinaries;

/** Makes sure the pinned Dendrite is built and returns the paths of its commands. */
export async function ensureDendriteInstalled(): Promise<DendriteBinaries> {
  if (existsSync(MARKER)) return BINARIES;
  mkdirSync(CACHE_DIR, { recursive: true });
  await withInstallLock(LOCK_FILE, "Dendrite", async () => {
    // Another process may have finished the build while this one waited for the lock.
    if (!existsSync(MARKER)) await install();
  });
  return BINARIES;
}

async function install(): Promise<void> {
  const started = Date.now();
  process.stderr.write(
    `Building Dendrite ${DENDRITE_VERSION} into ${BIN_DIR} (about two minutes, once per machine; log: ${INSTALL_LOG})\n`,
  );
  rmSync(INSTALL_DIR, { recursive: true, force: true });
  mkdirSync(BIN_DIR, { recursive: true });
  writeFileSync(INSTALL_LOG, "");
  // GOFLAGS=-mod=mod: a caller's -mod=vendor must not apply to a module built from the proxy. GOTOOLCHAIN=auto: the
  // module asks for a newer Go than an old system toolchain has, and auto fetches that toolchain through the same
  // proxy. cgo stays on where a C compiler exists (mattn/go-sqlite3, Dendrite's default SQLite driver); without one,
  // Dendrite's cgo-free build uses modernc.org/sqlite instead.
  const env = {
    ...process.env,
    GOBIN: BIN_DIR,
    GOFLAGS: "-mod=mod",
    GOTOOLCHAIN: "auto",
    ...(hasCCompiler() ? {} : { CGO_ENABLED: "0" }),
  };
  const targets = COMMANDS.map((name) => `${DENDRITE_MODULE}/cmd/${name}@${DENDRITE_VERSION}`);
  try {
    await runLogged(goBinary(), ["install", "-trimpath", ...targets], {
      logPath: INSTALL_LOG,
      cwd: INSTALL_DIR,
      env,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        `building Dendrite needs the Go toolchain (>= 1.21): found neither /usr/local/go/bin/go nor go on PATH`,
      );
    }
    throw error;
  }
  const { stdout, stderr } = await execFileAsync(BINARIES.dendrite, ["--version"]);
  const reported = `${stdout}${stderr}`.trim();
  if (!reported.includes(DENDRITE_VERSION.slice(1))) {
    throw new Error(
      `expected Dendrite ${DENDRITE_VERSION} in ${BINARIES.dendrite}, but it reports ${reported}`,
    );
  }
  writeFileSync(MARKER, `${DENDRITE_VERSION}\n`);
  process.stderr.write(
    `Built Dendrite ${DENDRITE_VERSION} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

function hasCCompiler(): boolean {
  const path = process.env["PATH"] ?? "";
  return ["cc", "gcc"].some((name) =>
    path.split(":").some((dir) => dir !== "" && existsSync(join(dir, name))),
  );
}
