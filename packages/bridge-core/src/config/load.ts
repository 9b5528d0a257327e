// Reads and validates the config file at start-up. All problems are collected and reported together, each with the
// key path and line, so an admin fixes the file in one pass instead of one restart per mistake.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { FileProblemsError, issuesToProblems, type Problem, parseYaml } from "./located.ts";
import { type BridgeConfig, rawConfigSchema, toBridgeConfig } from "./schema.ts";

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
  const yaml = parseYaml(text);
  if (!yaml.ok) throw new ConfigError(sourceName, yaml.problems);
  const result = rawConfigSchema.safeParse(yaml.value);
  if (!result.success) {
    // Offending values are shown except under `provisioning` (its secret); unknown keys, where a misplaced token
    // could be, are reported by name only.
    const showValue = (path: readonly PropertyKey[]) => path[0] !== "provisioning";
    throw new ConfigError(
      sourceName,
      issuesToProblems(result.error.issues, yaml.value, yaml.locate, showValue),
    );
  }
  return toBridgeConfig(result.data, resolve(baseDir));
}

export function loadConfig(path: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(path, [
      { path: "", line: null, message: `cannot read the config file (${reason})` },
    ]);
  }
  return parseConfig(text, path, dirname(resolve(path)));
}
