// Where benchmark results go: `<name>.json` with every figure, and `<name>.md` with the table a reader wants, side by
// side in one folder (bench/results by default; the smoke test writes elsewhere so it never replaces real figures).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineNote } from "./stats.ts";

export interface BenchContext {
  /** Folder the result files are written to. */
  resultsDir: string;
  /** How many times each measurement is repeated; the figures reported are medians of these runs. */
  runs: number;
  /** Said about the conditions of the run (a busy machine, a laptop on battery), written into every result. */
  note?: string;
  /** Progress lines; silent in the smoke test. */
  log(line: string): void;
}

export interface ResultFiles {
  jsonPath: string;
  markdownPath: string;
}

export function writeResult(
  context: BenchContext,
  name: string,
  result: { machine: MachineNote } & Record<string, unknown>,
  markdown: string[],
): ResultFiles {
  mkdirSync(context.resultsDir, { recursive: true });
  const jsonPath = join(context.resultsDir, `${name}.json`);
  const markdownPath = join(context.resultsDir, `${name}.md`);
  const withNote = context.note === undefined ? result : { note: context.note, ...result };
  writeFileSync(jsonPath, `${JSON.stringify(withNote, null, 2)}\n`);
  const { machine } = result;
  const conditions = [
    `Measured ${machine.startedAt} on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}; one-minute load`,
    `average ${machine.loadAverageAtStart} at the start and ${machine.loadAverageAtEnd ?? "?"} at the end.`,
    ...(context.note === undefined ? [] : [context.note]),
  ];
  writeFileSync(markdownPath, `${[...markdown, "", ...conditions].join("\n")}\n`);
  return { jsonPath, markdownPath };
}

/** A Markdown table from a header row and data rows, its columns padded as the repository's formatter lays them out. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const texts = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(3, ...texts.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? "").padEnd(width)).join(" | ")} |`;
  const [head = [], ...body] = texts;
  return [line(head), line(widths.map((width) => "-".repeat(width))), ...body.map(line)];
}
