// Configs outlive releases. Each layout of the file has a number (`config_version`); a key a release renames or
// drops is listed here with the version that changed it, and older files keep working for a release: the old key is
// moved to its new place (or dropped) with a warning that says what to write instead. `matrix-bridge
// --upgrade-config` rewrites the file the same way, keeping its comments. Without this, any rename would stop every
// existing bridge at its next start, since unknown keys are errors (they are usually typos).

import { isMap, parseDocument } from "yaml";

/** The layout this release writes and reads natively. */
export const CURRENT_CONFIG_VERSION = 2;
/** A file without `config_version` predates the numbering. */
const UNNUMBERED_VERSION = 1;

export interface ConfigChange {
  /** Where the key was, e.g. ["network", "config", "media_url"]. */
  from: readonly string[];
  /** Where it lives now; null when it was dropped (its value has no meaning any more). */
  to: readonly string[] | null;
  /** The config version that made the change. */
  since: number;
  /** What the admin should do, in words. */
  hint: string;
}

export const CONFIG_CHANGES: readonly ConfigChange[] = [
  {
    // It named the homeserver's media download base; links now point at the bridge's own media proxy, whose public
    // address is a different value, so the old one is not carried over.
    from: ["network", "config", "media_url"],
    to: null,
    since: 2,
    hint: "links to files now point at the bridge's media proxy: set media.public_url to where remote users reach the bridge",
  },
];

export interface UpgradeWarning {
  path: string;
  message: string;
}

export interface UpgradeResult {
  value: unknown;
  version: number;
  warnings: UpgradeWarning[];
}

export class ConfigVersionError extends Error {}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);

function parentOf(root: unknown, path: readonly string[], create: boolean): Tree | null {
  let node = root;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node)) return null;
    if (!Object.hasOwn(node, key) || node[key] === null) {
      if (!create) return null;
      node[key] = {};
    }
    node = node[key];
  }
  return isTree(node) ? node : null;
}

/** The version a parsed config declares; throws for one newer than this release understands. */
export function declaredVersion(raw: unknown): number {
  const declared = isTree(raw) ? raw["config_version"] : undefined;
  if (typeof declared !== "number") return UNNUMBERED_VERSION;
  if (declared > CURRENT_CONFIG_VERSION)
    throw new ConfigVersionError(
      `config_version: ${declared} is newer than this bridge understands (${CURRENT_CONFIG_VERSION}); upgrade the bridge or use a config written for it`,
    );
  return declared;
}

/** Moves and drops the keys `changes` lists, on a plain copy of the parsed YAML; the caller validates the result. */
export function upgradeConfig(
  raw: unknown,
  changes: readonly ConfigChange[] = CONFIG_CHANGES,
): UpgradeResult {
  const version = declaredVersion(raw);
  const value: unknown = structuredClone(raw);
  const warnings: UpgradeWarning[] = [];
  for (const change of changes) {
    const parent = parentOf(value, change.from, false);
    const key = change.from.at(-1) ?? "";
    if (parent === null || !Object.hasOwn(parent, key)) continue;
    const old = parent[key];
    delete parent[key];
    const from = change.from.join(".");
    if (change.to === null) {
      warnings.push({
        path: from,
        message: `no longer used (config version ${change.since}) and ignored; ${change.hint}`,
      });
      continue;
    }
    const to = change.to.join(".");
    const target = parentOf(value, change.to, true);
    const targetKey = change.to.at(-1) ?? "";
    if (target !== null && !Object.hasOwn(target, targetKey)) {
      target[targetKey] = old;
      warnings.push({
        path: from,
        message: `renamed to ${to} in config version ${change.since}; read from here for now, but move it (matrix-bridge --upgrade-config does): ${change.hint}`,
      });
    } else {
      warnings.push({ path: from, message: `ignored: ${to} is set too, and wins; remove ${from}` });
    }
  }
  if (version < CURRENT_CONFIG_VERSION && isTree(value)) {
    warnings.push({
      path: "config_version",
      message: `this config is written for version ${version}; this bridge reads version ${CURRENT_CONFIG_VERSION} (run matrix-bridge --upgrade-config -c <file> to update it)`,
    });
  }
  if (isTree(value)) delete value["config_version"];
  return { value, version, warnings };
}

/**
 * The file's text rewritten to the current layout: the same changes as `upgradeConfig`, on the YAML document so that
 * comments and order stay, and `config_version` set. Returns the new text and what was changed.
 */
export function upgradeConfigText(
  text: string,
  changes: readonly ConfigChange[] = CONFIG_CHANGES,
): { text: string; changed: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]?.message ?? ""}`);
  declaredVersion(doc.toJS());
  const changed: string[] = [];
  for (const change of changes) {
    if (!doc.hasIn(change.from)) continue;
    const old: unknown = doc.getIn(change.from, true);
    doc.deleteIn(change.from);
    if (change.to === null) changed.push(`removed ${change.from.join(".")} (${change.hint})`);
    else if (!doc.hasIn(change.to)) {
      doc.setIn(change.to, old);
      changed.push(`moved ${change.from.join(".")} to ${change.to.join(".")}`);
    } else changed.push(`removed ${change.from.join(".")}: ${change.to.join(".")} is set`);
  }
  if (isMap(doc.contents) && doc.get("config_version") !== CURRENT_CONFIG_VERSION) {
    doc.set("config_version", CURRENT_CONFIG_VERSION);
    changed.push(`set config_version: ${CURRENT_CONFIG_VERSION}`);
  }
  return { text: doc.toString(), changed };
}
