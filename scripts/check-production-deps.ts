// Fails when a production install of a bridge package would bring packages with published vulnerabilities or that
// exist only for the tests: `request` (unmaintained; CVE-2023-28155), `tough-cookie` before 4.1.3 (CVE-2023-26136),
// `form-data` before 4.0.4 (CVE-2025-7783; 2.5.4 and 3.0.4 too), `axios` (the bridges never need it; a long list of
// CVEs), and the test tools that pull them in (matrix-appservice-bridge, telegram-test-api).
//
// Reads `npm ls --omit=dev --all --json` of each bridge workspace and of the whole repository: what
// `npm ci --omit=dev` installs (at the root it installs every workspace's dependencies, the tests' included).
// `node scripts/check-production-deps.ts [tree.json]` checks a saved listing instead (to see the check fail).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const WORKSPACES = ["bridge-core", "bridge-irc", "bridge-xmpp", "bridge-telegram", "bridge-discord"];

interface Node {
  version?: string;
  dependencies?: Record<string, Node>;
}

type Rule = (version: string) => string | null;

const always =
  (why: string): Rule =>
  () =>
    why;
/** Refused below `fixed` (major.minor.patch); the versions lists where a branch got the fix too. */
const below =
  (fixed: string, why: string, alsoFixed: string[] = []): Rule =>
  (version) => {
    const older = (a: string, b: string) => {
      const [x, y] = [a, b].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
      for (let i = 0; i < 3; i++) if ((x?.[i] ?? 0) !== (y?.[i] ?? 0)) return (x?.[i] ?? 0) < (y?.[i] ?? 0);
      return false;
    };
    const sameBranchFixed = alsoFixed.some(
      (f) => f.split(".")[0] === version.split(".")[0] && !older(version, f),
    );
    return older(version, fixed) && !sameBranchFixed ? why : null;
  };

const RULES: Record<string, Rule> = {
  request: always("unmaintained, SSRF (CVE-2023-28155)"),
  "tough-cookie": below("4.1.3", "prototype pollution (CVE-2023-26136)"),
  "form-data": below("4.0.4", "predictable boundaries (CVE-2025-7783)", ["2.5.4", "3.0.4"]),
  axios: always("not needed by any bridge; many CVEs in old versions"),
  "matrix-appservice-bridge": always("a test and benchmark tool, not a dependency of the bridges"),
  "telegram-test-api": always("a test tool, not a dependency of the bridges"),
};

/** Every forbidden package in `tree`, with the path that brings it in. */
export function forbiddenIn(tree: Node, root: string): string[] {
  const found: string[] = [];
  const walk = (node: Node, path: string[]) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      const rule = RULES[name];
      const why = rule?.(child.version ?? "0.0.0");
      if (why != null) found.push(`${[...path, `${name}@${child.version}`].join(" > ")}: ${why}`);
      walk(child, [...path, `${name}@${child.version}`]);
    }
  };
  walk(tree, [root]);
  return found;
}

function listing(workspace: string | null): Node {
  const only = workspace === null ? [] : ["-w", `packages/${workspace}`];
  const json = execFileSync("npm", ["ls", "--omit=dev", "--all", "--json", ...only], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(json) as Node;
}

const saved = process.argv[2];
const problems =
  saved !== undefined
    ? forbiddenIn(JSON.parse(readFileSync(saved, "utf8")) as Node, saved)
    : [...WORKSPACES.flatMap((w) => forbiddenIn(listing(w), w)), ...forbiddenIn(listing(null), "(root)")];
if (problems.length > 0) {
  process.stderr.write(
    `Production dependencies that must not be there:\n${problems.map((p) => `  ${p}\n`).join("")}`,
  );
  process.exit(1);
}
process.stdout.write(
  `Production dependencies of ${saved ?? `${WORKSPACES.join(", ")} and the root`}: none forbidden.\n`,
);
