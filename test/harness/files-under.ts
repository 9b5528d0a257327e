import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Every file under `dir`, for looking for a secret anywhere in it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}
