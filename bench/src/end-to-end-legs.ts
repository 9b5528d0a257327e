// One leg of a message's way (Matrix user to IRC user through the bridge, or one IRC client to another, …), measured
// twice: paced, each message sent once the previous one arrived, for latency without a backlog; and as a burst, one
// message after another as fast as the sender can send, for the sustained rate the whole way delivers.

import { loadavg } from "node:os";
import { percentile, round } from "./stats.ts";

export interface Leg {
  /** Sends one message with this text; resolves when the sender's side is done with it. */
  send(text: string): Promise<void>;
  /** Resolves when the message with this text arrived at the other end; rejects after `timeoutMs`. */
  arrived(text: string, timeoutMs: number): Promise<void>;
}

export interface LegRun {
  p50Ms: number;
  p99Ms: number;
  messagesPerSecond: number;
  /** The machine's one-minute load average when the leg was measured. */
  loadAverage: number;
}

/** A paced message that takes longer than this is lost, not slow. */
const PACED_TIMEOUT_MS = 60_000;
/** A burst backs up behind the slowest part of the way; allow each message this long on top of the paced timeout. */
const BURST_TIMEOUT_PER_MESSAGE_MS = 1_000;

export async function measureLeg(leg: Leg, label: string, count: number): Promise<LegRun> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = `${label} paced ${i}`;
    const sent = performance.now();
    await leg.send(text);
    await leg.arrived(text, PACED_TIMEOUT_MS);
    latencies.push(performance.now() - sent);
  }
  const started = performance.now();
  const arrivals: Promise<void>[] = [];
  const burstTimeoutMs = PACED_TIMEOUT_MS + count * BURST_TIMEOUT_PER_MESSAGE_MS;
  for (let i = 0; i < count; i++) {
    const text = `${label} burst ${i}`;
    await leg.send(text);
    arrivals.push(leg.arrived(text, burstTimeoutMs));
  }
  await Promise.all(arrivals);
  const burstMs = performance.now() - started;
  return {
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    messagesPerSecond: round((count / burstMs) * 1000, 1),
    loadAverage: round(loadavg()[0] ?? 0, 2),
  };
}

/**
 * Waits for texts by name, for receivers that hand over every message as it comes (an application service, an IRC
 * client's event stream): a text that came before anyone asked is remembered until asked for.
 */
export class ArrivalBoard {
  private readonly arrived = new Set<string>();
  private readonly waiting = new Map<string, () => void>();

  note(text: string): void {
    const waiter = this.waiting.get(text);
    if (waiter) {
      this.waiting.delete(text);
      waiter();
    } else this.arrived.add(text);
  }

  waitFor(text: string, timeoutMs: number): Promise<void> {
    if (this.arrived.delete(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(text);
        reject(new Error(`"${text}" did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(text, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
