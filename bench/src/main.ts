// `npm run bench [-- <name>...] [--runs N] [--note TEXT] [--out DIR]`: runs the benchmarks named (all of them, in
// order, by default) and writes their results to bench/results.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../test/harness/paths.ts";
import { runEndToEndBenchmark } from "./end-to-end.ts";
import { runIngestBenchmark } from "./ingest.ts";
import { runPuppetsBenchmark } from "./puppets.ts";
import type { BenchContext } from "./results.ts";
import { runStartupBenchmark } from "./startup.ts";

const BENCHMARKS: Record<string, (context: BenchContext) => Promise<unknown>> = {
  ingest: (context) => runIngestBenchmark(context),
  startup: (context) => runStartupBenchmark(context),
  "end-to-end": (context) => runEndToEndBenchmark(context),
  puppets: (context) => runPuppetsBenchmark(context),
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    note: { type: "string" },
    out: { type: "string", default: join(REPO_ROOT, "bench", "results") },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, not ${values.runs}`);
const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  throw new Error(
    `unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`,
  );
}
const context: BenchContext = {
  resultsDir: values.out,
  runs,
  ...(values.note !== undefined && { note: values.note }),
  log: (line) => process.stdout.write(`${line}\n`),
};
for (const name of names) {
  await BENCHMARKS[name]?.(context);
}
