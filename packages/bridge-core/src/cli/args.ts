// Command-line arguments, with the flags admins know from the matrix-org and mautrix bridges: `-r -u URL` writes a
// registration file, plain `-c`/`-f` runs the bridge. Only parsing lives here; acting on the result is the main
// program's job. Flags that do nothing in the chosen mode are rejected rather than ignored, so a mistaken command
// line is noticed at once.

import { parseArgs } from "node:util";
import { isHttpUrl } from "../config/schema.ts";

export type CliCommand =
  | { kind: "generate"; configPath: string; registrationPath: string; url: string }
  | { kind: "generate-double-puppet"; configPath: string; registrationPath: string }
  | { kind: "run"; configPath: string; registrationPath: string; port?: number }
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "example-config"; configPath: string; network: string }
  | { kind: "upgrade-config"; configPath: string };

export class CliUsageError extends Error {
  readonly usage: string;

  constructor(problem: string, usage: string) {
    super(`${problem}\n\n${usage}`);
    this.name = "CliUsageError";
    this.usage = usage;
  }
}

export function usageText(programName: string): string {
  return [
    "Usage:",
    `  ${programName} -r -u URL [-c CONFIG] [-f REGISTRATION]   write the registration file for the homeserver`,
    `  ${programName} -r -d [-c CONFIG] [-f REGISTRATION]       write the double puppeting registration`,
    `  ${programName} [-c CONFIG] [-f REGISTRATION] [-p PORT]    run the bridge`,
    `  ${programName} -e [-n NETWORK] [-c CONFIG]                write a commented example config`,
    `  ${programName} --upgrade-config [-c CONFIG]               rewrite a config of an older version`,
    `  ${programName} --version                                 show the version`,
    `  ${programName} migrate-store --from FOLDER --to URL       move a LevelDB store into PostgreSQL (see --help there)`,
    "",
    "Options:",
    "  -r, --generate-registration  generate a registration file (needs -u) and exit",
    "  -d, --double-puppet          with -r: the second, non-exclusive registration for double puppeting",
    "  -u, --url URL                the http(s) URL at which the homeserver reaches the bridge",
    "  -c, --config PATH            the config file (default: config.yaml)",
    "  -f, --file PATH              the registration file (default: registration.yaml)",
    "  -p, --port PORT              listen on PORT instead of appservice.port from the config",
    "  -e, --generate-example-config  write a commented example config for the network (-n) to CONFIG, which",
    "                               must not exist yet",
    "  -n, --network MODULE         with -e: bridge-irc (default), bridge-xmpp, bridge-telegram, or a module path",
    "      --upgrade-config         move renamed keys of an older config to their new place (comments kept; the",
    "                               old file is kept as CONFIG.bak) and set config_version",
    "  -V, --version                show the version and exit",
    "  -h, --help                   show this help",
    "",
    "Endpoints on the listener: /health (live: 503 while the homeserver, the store or the network connection is",
    "down), /ready (200 once running), /bridge_state (com.beeper.bridge_state-style JSON), /metrics (Prometheus).",
  ].join("\n");
}

const OPTIONS = {
  "generate-registration": { type: "boolean", short: "r" },
  "double-puppet": { type: "boolean", short: "d" },
  url: { type: "string", short: "u" },
  config: { type: "string", short: "c", default: "config.yaml" },
  file: { type: "string", short: "f", default: "registration.yaml" },
  port: { type: "string", short: "p" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  "generate-example-config": { type: "boolean", short: "e" },
  network: { type: "string", short: "n" },
  "upgrade-config": { type: "boolean" },
} as const;

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** `argv` is the arguments after the program, e.g. `process.argv.slice(2)`. */
export function parseCliArgs(argv: string[], programName = "matrix-bridge"): CliCommand {
  const usage = usageText(programName);
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    // node:util reports unknown flags, missing values and stray arguments with a clear message of its own.
    throw new CliUsageError((e as Error).message, usage);
  }
  if (values.help) return { kind: "help", text: usage };
  if (values.version) return { kind: "version" };

  const problem = (text: string) => new CliUsageError(text, usage);
  const { config: configPath, file: registrationPath, url, port } = values;
  if (configPath === "") throw problem("-c/--config needs a path");
  if (values["generate-example-config"] || values["upgrade-config"]) {
    if (values["generate-registration"] || url !== undefined || port !== undefined)
      throw problem("-e and --upgrade-config take only -c (and -e also -n)");
    if (values["generate-example-config"] && values["upgrade-config"])
      throw problem("-e and --upgrade-config are two different things; give one");
    if (values["upgrade-config"]) {
      if (values.network !== undefined) throw problem("-n/--network is only used with -e");
      return { kind: "upgrade-config", configPath };
    }
    return { kind: "example-config", configPath, network: values.network ?? "bridge-irc" };
  }
  if (values.network !== undefined) throw problem("-n/--network is only used with -e");
  if (registrationPath === "") throw problem("-f/--file needs a path");

  if (values["double-puppet"] && !values["generate-registration"]) {
    throw problem("-d/--double-puppet is only used with -r/--generate-registration");
  }
  if (values["generate-registration"] && values["double-puppet"]) {
    // The homeserver never sends transactions for this registration, so it has no URL.
    if (url !== undefined || port !== undefined) throw problem("-d/--double-puppet takes neither -u nor -p");
    return { kind: "generate-double-puppet", configPath, registrationPath };
  }
  if (values["generate-registration"]) {
    if (port !== undefined)
      throw problem("-p/--port is for running the bridge, not with -r/--generate-registration");
    if (url === undefined)
      throw problem("-r/--generate-registration needs -u/--url: where the homeserver reaches the bridge");
    if (!isHttpUrl(url))
      throw problem(`-u/--url must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
    return { kind: "generate", configPath, registrationPath, url };
  }

  if (url !== undefined) throw problem("-u/--url is only used with -r/--generate-registration");
  if (port === undefined) return { kind: "run", configPath, registrationPath };
  const portNumber = parsePort(port);
  if (portNumber === null)
    throw problem(`-p/--port must be an integer from 1 to 65535, got ${JSON.stringify(port)}`);
  return { kind: "run", configPath, registrationPath, port: portNumber };
}
