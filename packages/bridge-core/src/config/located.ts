// Shared by the config and registration loaders: parse YAML keeping positions, and turn schema issues into problems
// that name the key path and the line, so an admin can go straight to the mistake. Messages are built from the key
// path and the schema's own wording; values are shown only where the caller allows it, because these files hold
// tokens and unknown keys may be misplaced secrets.

import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";

export interface Problem {
  /** Key path such as `appservice.port` or `bridge.permissions["*"]`; empty for the file as a whole. */
  path: string;
  line: number | null;
  message: string;
}

function formatProblem(source: string, p: Problem): string {
  const where = p.line === null ? source : `${source}:${p.line}`;
  return [where, p.path, p.message].filter((part) => part !== "").join(": ");
}

/** A file that failed validation; the message lists every problem, one per line. */
export class FileProblemsError extends Error {
  /** The file as named in messages; empty when the problem belongs to no single file. */
  readonly source: string;
  readonly problems: Problem[];

  /**
   * `(source, problems)` for problems found in one file; `(message)` alone for a problem that belongs to no single
   * line, such as two files that disagree.
   */
  constructor(sourceOrMessage: string, problems?: Problem[]) {
    const source = problems === undefined ? "" : sourceOrMessage;
    const list = problems ?? [{ path: "", line: null, message: sourceOrMessage }];
    super(list.map((p) => formatProblem(source, p)).join("\n"));
    this.name = "FileProblemsError";
    this.source = source;
    this.problems = list;
  }
}

export type YamlResult =
  | { ok: true; value: unknown; locate: (path: readonly PropertyKey[]) => number | null }
  | { ok: false; problems: Problem[] };

export function parseYaml(text: string): YamlResult {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending source line, which may hold a token.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        path: "",
        line: lineAt(e.pos[0]),
        message: `invalid YAML: ${e.message}`,
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    // Unresolved aliases and alias bombs are only detected while converting.
    return {
      ok: false,
      problems: [{ path: "", line: null, message: `invalid YAML: ${(e as Error).message}` }],
    };
  }

  // The line of the deepest key on `path` that exists: the key itself when present, otherwise the mapping that
  // lacks it.
  const locate = (path: readonly PropertyKey[]): number | null => {
    let node: unknown = doc.contents;
    let line: number | null = null;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair === undefined) break;
        if (isScalar(pair.key) && pair.key.range) line = lineAt(pair.key.range[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (item === undefined) break;
        if ((isScalar(item) || isMap(item) || isSeq(item)) && item.range) line = lineAt(item.range[0]);
        node = item;
      } else {
        break;
      }
    }
    return line;
  };
  return { ok: true, value, locate };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(segment)))
      out += out === "" ? String(segment) : `.${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let value = root;
  for (const segment of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, segment)) {
      return { found: false, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value };
}

// Mappings and lists are described by their kind only: a misplaced secret could sit anywhere inside them.
function describe(value: unknown): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * One problem per schema issue, and one per unknown key. `showValues` appends the offending value to the schema's
 * message; callers whose files hold secrets pass false, or a predicate that is false for the secret keys.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  locate: (path: readonly PropertyKey[]) => number | null,
  showValues: boolean | ((path: readonly PropertyKey[]) => boolean),
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({ path: formatPath(path), line: locate(path), message: "unknown key" });
      }
      continue;
    }
    const parent = valueAt(input, issue.path.slice(0, -1));
    const here = valueAt(input, issue.path);
    let message: string;
    if (issue.path.length > 0 && parent.found && !here.found) {
      message = "missing required key";
    } else if (issue.code === "invalid_key") {
      message = issue.issues[0]?.message ?? issue.message;
    } else {
      const show = typeof showValues === "function" ? showValues(issue.path) : showValues;
      message = show ? `${issue.message}, got ${describe(here.value)}` : issue.message;
    }
    problems.push({ path: formatPath(issue.path), line: locate(issue.path), message });
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
