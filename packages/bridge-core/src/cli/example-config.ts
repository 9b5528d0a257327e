// `matrix-bridge -e`: a commented example config for one network, put together from the core's example
// (config.example.yaml beside bridge-core's package.json) and the plugin's own (config.example.yaml beside its
// package.json), which sits under `network.config`. Each example is checked by a test against the validation that
// reads it, so what -e writes is a config that starts (once its placeholders are filled in).

import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The folder of the package that `specifier` (a package name or a module path) belongs to. */
export function packageDirOf(specifier: string): string {
  const url =
    isAbsolute(specifier) || specifier.startsWith(".")
      ? pathToFileURL(resolve(specifier)).href
      : import.meta.resolve(specifier);
  let dir = dirname(fileURLToPath(url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${specifier}: no package.json above ${fileURLToPath(url)}`);
    dir = parent;
  }
  return dir;
}

export function exampleConfig(network: string): string {
  const core = readFileSync(new URL("../../config.example.yaml", import.meta.url), "utf8");
  const pluginFile = join(packageDirOf(network), "config.example.yaml");
  if (!existsSync(pluginFile)) throw new Error(`${network} has no config.example.yaml at ${pluginFile}`);
  const plugin = readFileSync(pluginFile, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => (line === "" ? "" : `    ${line}`))
    .join("\n");
  const withModule = core.replace(/^ {2}module: .*$/m, `  module: ${network}`);
  const spliced = withModule.replace(/^ {2}config: \{\}$/m, `  config:\n${plugin}`);
  if (spliced === withModule) throw new Error("the core's example has no `  config: {}` line to fill");
  // The example's templates are the IRC plugin's; other networks bring their own defaults.
  return network === "bridge-irc"
    ? spliced
    : spliced.replace(/^ {2}(ghost|alias)_template: .*$/gm, "  # $1_template: (the plugin's default)");
}
