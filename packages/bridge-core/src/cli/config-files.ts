// The CLI's config file chores: `-e` writes a commented example for a network; `--upgrade-config` rewrites an older
// config to the current layout (config/upgrade.ts), keeping comments and the old file beside it.

import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { ConfigError } from "../config/load.ts";
import { upgradeConfigText } from "../config/upgrade.ts";
import { exampleConfig } from "./example-config.ts";

export function writeExampleConfig(configPath: string, network: string): void {
  const text = exampleConfig(network);
  try {
    // Never over an existing config: it holds an admin's settings and tokens.
    writeFileSync(configPath, text, { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST")
      throw new ConfigError(`${configPath} exists already; give -c a new file name`);
    throw err;
  }
  process.stdout.write(
    `Wrote an example config for ${network} to ${configPath}. Fill in the values marked in its comments, then generate the registration with -r.\n`,
  );
}

export function writeUpgradedConfig(configPath: string): void {
  let upgraded: ReturnType<typeof upgradeConfigText>;
  try {
    upgraded = upgradeConfigText(readFileSync(configPath, "utf8"));
  } catch (err) {
    throw new ConfigError(`${configPath}: ${(err as Error).message}`);
  }
  if (upgraded.changed.length === 0) {
    process.stdout.write(`${configPath} is up to date.\n`);
    return;
  }
  copyFileSync(configPath, `${configPath}.bak`);
  writeFileSync(configPath, upgraded.text);
  process.stdout.write(
    `Upgraded ${configPath} (the old one is ${configPath}.bak):\n${upgraded.changed.map((c) => `  ${c}`).join("\n")}\n`,
  );
}
