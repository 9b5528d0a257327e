// `npm run bench [-- <name>...] [--runs N] [--messages N] [--note TEXT] [--out DIR]`: runs the benchmarks named (all
// of them, in order, by default) and writes their results to bench/results. --messages: the end-to-end benchmark's
// messages per leg and run, fewer than its 1,000 where five runs on two servers would take too long. --large N: the
// puppets benchmark adds one run with N users, as shipped.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../test/harness/paths.ts";
import { FULL_END_TO_END_MESSAGES, runEndToEndBenchmark } from "./end-to-end.ts";
import { runIngestBenchmark } from "./ingest.ts";
import { FULL_PUPPETS_SHAPE, runPuppetsBenchmark } from "./puppets.ts";
import type { BenchContext } from "./results.ts";
import { runStartupBenchmark } from "./startup.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "5" },
    messages: { type: "string", default: String(FULL_END_TO_END_MESSAGES) },
    large: { type: "string" },
    note: { type: "string" },
    out: { type: "string", default: join(REPO_ROOT, "bench", "results") },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, not ${values.runs}`);
const messages = Number(values.messages);
if (!Number.isInteger(messages) || messages < 1)
  throw new Error(`--messages must be a positive integer, not ${values.messages}`);
const large = values.large === undefined ? undefined : Number(values.large);
if (large !== undefined && !(Number.isInteger(large) && large > 0))
  throw new Error(`--large must be a positive integer, not ${values.large}`);
const BENCHMARKS: Record<string, (context: BenchContext) => Promise<unknown>> = {
  ingest: (context) => runIngestBenchmark(context),
  startup: (context) => runStartupBenchmark(context),
  "end-to-end": (context) => runEndToEndBenchmark(context, messages),
  puppets: (context) =>
    runPuppetsBenchmark(context, { ...FULL_PUPPETS_SHAPE, ...(large !== undefined && { large }) }),
};
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
