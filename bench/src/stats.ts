// Figures the benchmarks report: percentiles of latency samples, medians over repeated runs, and how the machine was
// loaded while they were taken (other work on the same cores makes every figure slower and noisier).

import { cpus, loadavg } from "node:os";

/** The `p`-th percentile (0–100) of `samples`, by the nearest-rank method; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  count: number;
}

export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  return {
    p50Ms: round(percentile(samplesMs, 50)),
    p99Ms: round(percentile(samplesMs, 99)),
    maxMs: round(percentile(samplesMs, 100)),
    count: samplesMs.length,
  };
}

/** Three decimals: sub-millisecond latencies matter, further digits are noise. */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface MachineNote {
  cpus: number;
  cpuModel: string;
  node: string;
  /** One-minute load average when the run began and ended: above the core count means others competed for the CPU. */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
  startedAt: string;
}

export function describeMachine(): MachineNote {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    loadAverageAtStart: round(loadavg()[0] ?? 0, 2),
    startedAt: new Date().toISOString(),
  };
}

/** The one-minute load average now, as each run notes it beside its figures. */
export function loadNow(): number {
  return round(loadavg()[0] ?? 0, 2);
}

export function finishMachineNote(note: MachineNote): MachineNote {
  return { ...note, loadAverageAtEnd: round(loadavg()[0] ?? 0, 2) };
}
