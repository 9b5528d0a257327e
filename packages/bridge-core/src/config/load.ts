// Reads and validates the config file at start-up. All problems are collected and reported together, each with the
// key path and line, so an admin fixes the file in one pass instead of one restart per mistake.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { FileProblemsError, issuesToProblems, type Problem, parseYaml } from "./located.ts";
import { type BridgeConfig, rawConfigSchema, toBridgeConfig } from "./schema.ts";
import { ConfigVersionError, upgradeConfig } from "./upgrade.ts";

export type { Problem } from "./located.ts";

export class ConfigError extends FileProblemsError {
  constructor(sourceOrMessage: string, problems?: Problem[]) {
    super(sourceOrMessage, problems);
    this.name = "ConfigError";
  }
}

/**
 * Validates config text. `sourceName` names the file in messages; `baseDir` is the folder relative paths in the
 * config are resolved against.
 */
export function parseConfig(text: string, sourceName: string, baseDir: string): BridgeConfig {
  return parseConfigWithWarnings(text, sourceName, baseDir).config;
}

/** parseConfig, and the warnings about keys an older config version had (`file:line: key: what to do`). */
export function parseConfigWithWarnings(
  text: string,
  sourceName: string,
  baseDir: string,
): { config: BridgeConfig; warnings: string[] } {
  const yaml = parseYaml(text);
  if (!yaml.ok) throw new ConfigError(sourceName, yaml.problems);
  let upgraded: ReturnType<typeof upgradeConfig>;
  try {
    upgraded = upgradeConfig(yaml.value);
  } catch (err) {
    if (!(err instanceof ConfigVersionError)) throw err;
    throw new ConfigError(sourceName, [
      { path: "", line: yaml.locate(["config_version"]), message: err.message },
    ]);
  }
  const warnings = upgraded.warnings.map(({ path, message }) => {
    const line = yaml.locate(path.split("."));
    return `${sourceName}${line === null ? "" : `:${line}`}: ${path}: ${message}`;
  });
  const result = rawConfigSchema.safeParse(upgraded.value);
  if (!result.success) {
    // Offending values are shown except under `provisioning` (its secret); unknown keys, where a misplaced token
    // could be, are reported by name only.
    // Secrets are not quoted back: the provisioning secret, and the database URL with its password.
    const showValue = (path: readonly PropertyKey[]) =>
      path[0] !== "provisioning" && !(path[0] === "store" && path[1] === "url");
    throw new ConfigError(
      sourceName,
      issuesToProblems(result.error.issues, yaml.value, yaml.locate, showValue),
    );
  }
  return { config: toBridgeConfig(result.data, resolve(baseDir)), warnings };
}

export function loadConfig(path: string): BridgeConfig {
  return loadConfigWithWarnings(path).config;
}

export function loadConfigWithWarnings(path: string): { config: BridgeConfig; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(path, [
      { path: "", line: null, message: `cannot read the config file (${reason})` },
    ]);
  }
  return parseConfigWithWarnings(text, path, dirname(resolve(path)));
}
