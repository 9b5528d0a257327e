import { execFileSync } from "node:child_process";

let resolved: string | undefined;

/**
 * The real interpreter behind `python3` on PATH. Version managers such as pyenv put a shell-script shim there that
 * may run python as its own child instead of exec'ing it, which breaks whatever relies on being the direct child of
 * this process (the death signal in tied-process.ts).
 */
export function systemPython(): string {
  resolved ??= execFileSync("python3", ["-c", "import sys; sys.stdout.write(sys.executable)"], {
    encoding: "utf8",
  });
  return resolved;
}
