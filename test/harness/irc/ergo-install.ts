// Builds a pinned ergo IRC server from the Go module proxy into the cache, once per machine. (Debian's package named
// "ergo" is an unrelated chemistry program, and ergo ships no package of its own in any registry we use.)
//
// `go install github.com/ergochat/ergo@…` cannot do it, for two reasons in ergo's go.mod: it declares the module path
// without a /v2 suffix, so its v2.x release tags are not valid versions of that module and a release is reachable
// only by its commit (the proxy turns that into a pseudo-version); and it has replace directives (forks of
// gorilla/websocket and xdg-go/scram), which `go install pkg@version` refuses outright. So the install downloads the
// module's source through the proxy (`go mod download`), copies it out of the read-only module cache, and builds it
// there as the main module, where the replace directives apply and every dependency also comes from the proxy.
// The default build has no optional tags: no MySQL, PostgreSQL or SQLite history backends and no translations,
// none of which the tests use (history lives in memory).

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { logTail, runLogged, withInstallLock } from "../install-lock.ts";
import { CACHE_DIR } from "../paths.ts";

/** The ergo release the harness is written and tested against. */
export const ERGO_VERSION = "v2.19.1";
/** The commit that release's tag points at, which is how the module proxy knows it (see above). */
export const ERGO_COMMIT = "63c743a70644f0f19109508ade8580bf37f7d23d";
export const ERGO_MODULE = "github.com/ergochat/ergo";

/**
 * Names an ergo binary to use instead of building one, e.g. from a release archive; the harness then trusts it to
 * be a compatible version.
 */
export const ERGO_BINARY_ENV = "BRIDGE_ERGO_BINARY";

const INSTALL_DIR = join(CACHE_DIR, `ergo-${ERGO_VERSION}`);
const BIN_DIR = join(INSTALL_DIR, "bin");
const ERGO_BINARY = join(BIN_DIR, "ergo");
const MARKER = join(INSTALL_DIR, "installed-ok");
const LOCK_FILE = `${INSTALL_DIR}.lock`;
const INSTALL_LOG = `${INSTALL_DIR}.install.log`;

const execFileAsync = promisify(execFile);

/** The module proxy does not serve ergo to this machine, so it cannot be built here. */
export class ErgoUnavailableError extends Error {
  override readonly name = "ErgoUnavailableError";
}

/** Makes sure the pinned ergo is built and returns the path of its binary. */
export async function ensureErgoInstalled(): Promise<string> {
  const override = process.env[ERGO_BINARY_ENV];
  if (override) {
    if (!existsSync(override)) throw new Error(`${ERGO_BINARY_ENV} names ${override}, which does not exist`);
    return override;
  }
  if (existsSync(MARKER)) return ERGO_BINARY;
  mkdirSync(CACHE_DIR, { recursive: true });
  await withInstallLock(LOCK_FILE, "ergo", async () => {
    // Another process may have finished the install while this one waited for the lock.
    if (!existsSync(MARKER)) await install();
  });
  return ERGO_BINARY;
}

/** The go command: the toolchain's usual home first, then whatever PATH has. */
export function goBinary(): string {
  return existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";
}

async function install(): Promise<void> {
  const started = Date.now();
  rmSync(INSTALL_DIR, { recursive: true, force: true });
  mkdirSync(BIN_DIR, { recursive: true });
  writeFileSync(INSTALL_LOG, "");
  const go = goBinary();
  // -mod=mod: the module zip has no vendor folder, and a GOFLAGS of the caller's (-mod=vendor, say) must not apply.
  const env = { ...process.env, GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };

  const sourceDir = join(INSTALL_DIR, "src");
  const moduleDir = await downloadModule(go, env);
  process.stderr.write(
    `Building ergo ${ERGO_VERSION} into ${BIN_DIR} (a minute or two, once per machine; log: ${INSTALL_LOG})\n`,
  );
  // The module cache is read-only, and building as the main module may need to touch go.sum.
  await runLogged("cp", ["-R", moduleDir, sourceDir], { logPath: INSTALL_LOG });
  await runLogged("chmod", ["-R", "u+w", sourceDir], { logPath: INSTALL_LOG });
  await runLogged(
    go,
    [
      "build",
      "-trimpath",
      "-ldflags",
      `-X main.version=${ERGO_VERSION} -X main.commit=${ERGO_COMMIT}`,
      "-o",
      ERGO_BINARY,
      ".",
    ],
    { logPath: INSTALL_LOG, cwd: sourceDir, env },
  );
  // The source stays in the module cache; the copy was only needed for the build.
  rmSync(sourceDir, { recursive: true, force: true });

  const { stdout } = await execFileAsync(ERGO_BINARY, ["--version"]);
  if (!stdout.includes(ERGO_VERSION)) {
    throw new Error(`expected ergo ${ERGO_VERSION} in ${ERGO_BINARY}, but it reports ${stdout.trim()}`);
  }
  writeFileSync(MARKER, `${ERGO_VERSION} ${ERGO_COMMIT}\n`);
  process.stderr.write(`Built ergo ${ERGO_VERSION} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

/** Downloads the pinned source through the module proxy and returns its folder in the module cache. */
async function downloadModule(go: string, env: NodeJS.ProcessEnv): Promise<string> {
  const target = `${ERGO_MODULE}@${ERGO_COMMIT}`;
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(go, ["mod", "download", "-json", target], { env, cwd: INSTALL_DIR }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        `building ergo needs the Go toolchain: found neither /usr/local/go/bin/go nor go on PATH`,
      );
    }
    // On failure `go mod download -json` still prints the JSON, with the reason in its Error field.
    stdout = (error as { stdout?: string }).stdout ?? "";
    if (!stdout) throw error;
  }
  writeFileSync(INSTALL_LOG, `$ go mod download -json ${target}\n${stdout}\n`, { flag: "a" });
  const result = JSON.parse(stdout) as { Dir?: string; Version?: string; Error?: string };
  if (result.Error !== undefined || result.Dir === undefined) {
    const reason = result.Error ?? "no source folder reported";
    const message = `could not download ${target} from the Go module proxy: ${reason}`;
    // A proxy that will not serve the module answers 403 "not available", and no retry changes that. A 404 or 410
    // means the pinned commit is wrong, which must fail rather than skip.
    if (/\b403\b|not available/i.test(reason)) throw new ErgoUnavailableError(message);
    throw new Error(`${message}\n${logTail(INSTALL_LOG)}`);
  }
  return result.Dir;
}
