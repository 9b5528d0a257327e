// A synthetic stream of application service transactions, and the homeserver's side of sending it: transactions go
// out over loopback HTTP one at a time, each after the previous one was acknowledged, as a homeserver sends them to
// an application service. Each message says which transaction it came in, so the receiving side can tell how long it
// took from the PUT leaving to the event reaching the handler.

export interface StreamShape {
  transactions: number;
  eventsPerTransaction: number;
  rooms: number;
  senders: number;
}

export interface SyntheticTransaction {
  txnId: string;
  body: string;
}

const BODY_PREFIX = "bench ";

/** The transactions of one stream; `label` keeps the ids of different streams (warm-up, each run) apart. */
export function makeStream(shape: StreamShape, domain: string, label: string): SyntheticTransaction[] {
  const out: SyntheticTransaction[] = [];
  let n = 0;
  for (let t = 0; t < shape.transactions; t++) {
    const events = [];
    for (let i = 0; i < shape.eventsPerTransaction; i++, n++) {
      events.push({
        type: "m.room.message",
        room_id: roomIdOf(n % shape.rooms, domain),
        sender: `@user${n % shape.senders}:${domain}`,
        event_id: `$${label}-${t}-${i}`,
        origin_server_ts: Date.now(),
        content: { msgtype: "m.text", body: `${BODY_PREFIX}${t} ${i}` },
      });
    }
    out.push({ txnId: `${label}-${t}`, body: JSON.stringify({ events }) });
  }
  return out;
}

export function roomIdOf(index: number, domain: string): string {
  return `!room${index}:${domain}`;
}

/** The transaction a stream message came in, from its body; null for anything else. */
export function transactionIndexOf(body: unknown): number | null {
  if (typeof body !== "string" || !body.startsWith(BODY_PREFIX)) return null;
  const index = Number(body.slice(BODY_PREFIX.length).split(" ")[0]);
  return Number.isInteger(index) ? index : null;
}

/**
 * Measures one stream: sends it, and resolves once `expected` events reached the handler (the caller calls
 * `seen(body)` from its handler). Throws when a PUT is refused or the events stop arriving.
 */
export class StreamMeasurement {
  /** When each transaction's PUT left, and when its answer came back (performance.now()), by index. */
  readonly sentAt: number[] = [];
  readonly ackedAt: number[] = [];
  private readonly latencies: number[] = [];
  private readonly expected: number;
  private lastSeenAt = 0;
  private done: (() => void) | null = null;
  private transactionSeen: ((index: number) => void) | null = null;
  private readonly seenPerTransaction: number[] = [];

  constructor(expected: number) {
    this.expected = expected;
  }

  /** Call from the handler with the event's body. */
  seen(body: unknown): void {
    const index = transactionIndexOf(body);
    if (index === null) return;
    const sent = this.sentAt[index];
    if (sent === undefined) return;
    this.lastSeenAt = performance.now();
    this.latencies.push(this.lastSeenAt - sent);
    this.seenPerTransaction[index] = (this.seenPerTransaction[index] ?? 0) + 1;
    this.transactionSeen?.(index);
    if (this.latencies.length >= this.expected) this.done?.();
  }

  async run(
    url: string,
    hsToken: string,
    stream: readonly SyntheticTransaction[],
    timeoutMs: number,
    /**
     * Paced: each transaction goes out only once the handler saw all of the previous one, so no backlog builds up and
     * the latency is the pipeline's own. Otherwise the next goes out as soon as the previous one was acknowledged.
     */
    paced?: { eventsPerTransaction: number },
  ): Promise<{ eventsPerSecond: number; latenciesMs: number[]; durationMs: number }> {
    const allSeen = new Promise<void>((resolve) => {
      this.done = resolve;
    });
    const start = performance.now();
    for (const [index, txn] of stream.entries()) {
      this.sentAt[index] = performance.now();
      const response = await fetch(`${url}/_matrix/app/v1/transactions/${encodeURIComponent(txn.txnId)}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${hsToken}`, "content-type": "application/json" },
        body: txn.body,
      });
      await response.arrayBuffer();
      this.ackedAt[index] = performance.now();
      if (!response.ok) throw new Error(`transaction ${txn.txnId} refused: ${response.status}`);
      if (paced) await this.allOf(index, paced.eventsPerTransaction, timeoutMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `only ${this.latencies.length} of ${this.expected} events arrived within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      if (this.latencies.length < this.expected) await Promise.race([allSeen, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    const durationMs = this.lastSeenAt - start;
    this.transactionSeen = null;
    return { eventsPerSecond: (this.expected / durationMs) * 1000, latenciesMs: this.latencies, durationMs };
  }

  private allOf(index: number, count: number, timeoutMs: number): Promise<void> {
    if ((this.seenPerTransaction[index] ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`transaction ${index} was not handled within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.transactionSeen = (seen) => {
        if (seen !== index || (this.seenPerTransaction[index] ?? 0) < count) return;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
