// Prometheus metrics for one bridge. Each instance owns its registry, never prom-client's global one, so several
// bridges (or several tests) in one process neither share nor collide over metric names.
//
// Label values that come from outside (Matrix event types, network ids, request names) are bounded: any Matrix user
// can send events of made-up types, and each distinct label value is a time series held in memory for the life of
// the process and scraped forever after.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../log.ts";

export type Direction = "matrix_to_remote" | "remote_to_matrix";
export type TransactionEventKind = "timeline" | "ephemeral" | "to_device";
export type MatrixRequestOutcome = "ok" | "error" | "rate_limited" | "retried";
export type TransactionEventCounts = Partial<Record<TransactionEventKind, number>>;
/** Read at scrape time; a failure leaves the gauge at its last value rather than failing the whole scrape. */
export type CountSource = () => number | Promise<number>;

const PREFIX = "bridge_";
/** 1 ms … 30 s: a local delivery takes milliseconds, a rate-limited or retried one many seconds. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
const TRANSACTION_KINDS: readonly TransactionEventKind[] = ["timeline", "ephemeral", "to_device"];
/** Distinct values kept per label before new ones are counted as OVERFLOW_VALUE. */
export const DEFAULT_MAX_LABEL_VALUES = 100;
const OVERFLOW_VALUE = "other";
const MAX_LABEL_LENGTH = 100;

export interface BridgeMetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC) in this registry; default true. prom-client never stops
   *  the GC observer it starts for them, so instances made in bulk (tests) may want them off. */
  processMetrics?: boolean;
  /** Distinct values per label (network, type, method) before the rest become "other"; default 100. */
  maxLabelValues?: number;
  /** Where a failing scrape-time source is reported; without it such failures are silent. */
  logger?: Logger;
  /** Wall clock in ms, for event latency; the receive time is a wall-clock time that may survive a restart. */
  now?: () => number;
}

/** Keeps the set of values one label has taken bounded, and each value short. */
class LabelBound {
  private readonly seen = new Set<string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  value(raw: string): string {
    const value = raw.length > MAX_LABEL_LENGTH ? raw.slice(0, MAX_LABEL_LENGTH) : raw;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OVERFLOW_VALUE;
    this.seen.add(value);
    return value;
  }
}

/** A request name is meant to be a route template; a query string could carry an access token, so it never gets in. */
function requestName(method: string): string {
  const cut = method.search(/[?#]/);
  return cut === -1 ? method : method.slice(0, cut);
}

export class BridgeMetrics {
  readonly registry: Registry;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private readonly networks: LabelBound;
  private readonly types: LabelBound;
  private readonly methods: LabelBound;

  private readonly events: Counter<"network" | "direction" | "type">;
  private readonly eventFailures: Counter<"network" | "direction" | "type">;
  private readonly transactions: Counter<"outcome">;
  private readonly transactionEvents: Counter<"kind">;
  private readonly queueDepth: Gauge;
  private readonly latency: Histogram<"network" | "direction">;
  private readonly puppets: Gauge<"network">;
  private readonly portals: Gauge;
  private readonly matrixRequests: Counter<"method" | "outcome">;

  private queueDepthSource: CountSource | undefined;
  private portalCountSource: CountSource | undefined;

  constructor(options: BridgeMetricsOptions = {}) {
    this.registry = new Registry();
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    const maxLabelValues = options.maxLabelValues ?? DEFAULT_MAX_LABEL_VALUES;
    this.networks = new LabelBound(maxLabelValues);
    this.types = new LabelBound(maxLabelValues);
    this.methods = new LabelBound(maxLabelValues);
    const registers = [this.registry];

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });

    this.events = new Counter({
      name: `${PREFIX}events_total`,
      help: "Events bridged, by network, direction and event type.",
      labelNames: ["network", "direction", "type"],
      registers,
    });
    this.eventFailures = new Counter({
      name: `${PREFIX}event_failures_total`,
      help: "Events that could not be bridged, by network, direction and event type.",
      labelNames: ["network", "direction", "type"],
      registers,
    });
    this.transactions = new Counter({
      name: `${PREFIX}transactions_total`,
      help:
        "Application service transactions received from the homeserver: accepted; reused_id, accepted although its id " +
        "was known with other events (a homeserver numbering anew after a restart); replayed, the same id and events again.",
      labelNames: ["outcome"],
      registers,
    });
    this.transactionEvents = new Counter({
      name: `${PREFIX}transaction_events_total`,
      help: "Events in accepted transactions, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.queueDepth = new Gauge({
      name: `${PREFIX}queue_depth`,
      help: "Tasks queued or running in the event pipeline.",
      registers,
      collect: () => this.readInto("queue depth", this.queueDepthSource, this.queueDepth),
    });
    this.latency = new Histogram({
      name: `${PREFIX}event_latency_seconds`,
      help: "Time from the bridge receiving an event to its delivery on the other side.",
      labelNames: ["network", "direction"],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.puppets = new Gauge({
      name: `${PREFIX}puppets_connected`,
      help: "Puppets currently connected to the remote network.",
      labelNames: ["network"],
      registers,
    });
    this.portals = new Gauge({
      name: `${PREFIX}portals`,
      help: "Portals: links between a Matrix room and a remote room.",
      registers,
      collect: () => this.readInto("portal count", this.portalCountSource, this.portals),
    });
    this.matrixRequests = new Counter({
      name: `${PREFIX}matrix_requests_total`,
      help: "Requests to the homeserver, by endpoint and outcome; each attempt that is retried counts as retried.",
      labelNames: ["method", "outcome"],
      registers,
    });

    // Zero series exist from the start, so rates and alerts on them work before the first transaction arrives.
    for (const outcome of ["accepted", "reused_id", "replayed"]) this.transactions.inc({ outcome }, 0);
    for (const kind of TRANSACTION_KINDS) this.transactionEvents.inc({ kind }, 0);
  }

  /** An event reached the other side. `receivedAtMs` (wall clock) is when the bridge got it; without it, no latency. */
  eventBridged(network: string, direction: Direction, type: string, receivedAtMs?: number): void {
    const net = this.networks.value(network);
    this.events.inc({ network: net, direction, type: this.types.value(type) });
    if (receivedAtMs === undefined || !Number.isFinite(receivedAtMs)) return;
    // A clock stepped backwards must not produce a negative duration, which a histogram cannot hold.
    const seconds = Math.max(0, this.now() - receivedAtMs) / 1000;
    this.latency.observe({ network: net, direction }, seconds);
  }

  /** An event was given up on: it will not reach the other side. */
  eventFailed(network: string, direction: Direction, type: string): void {
    this.eventFailures.inc({
      network: this.networks.value(network),
      direction,
      type: this.types.value(type),
    });
  }

  /**
   * A new transaction was accepted; `counts` holds how many of its events were of each kind (those not accepted
   * before). `reusedId`: its id had come before with other events.
   */
  transactionAccepted(counts: TransactionEventCounts = {}, reusedId = false): void {
    this.transactions.inc({ outcome: reusedId ? "reused_id" : "accepted" });
    for (const kind of TRANSACTION_KINDS) {
      const n = counts[kind];
      if (n !== undefined && Number.isFinite(n) && n > 0) this.transactionEvents.inc({ kind }, n);
    }
  }

  /** The homeserver sent a transaction it had already delivered; its events are not counted again. */
  transactionReplayed(): void {
    this.transactions.inc({ outcome: "replayed" });
  }

  /** How many puppets are connected on `network` right now. */
  puppetsConnected(network: string, count: number): void {
    this.puppets.set({ network: this.networks.value(network) }, count);
  }

  /** Portal count pushed by the bridge; a source set with `setPortalCountSource` overrides it at each scrape. */
  setPortalCount(count: number): void {
    this.portals.set(count);
  }

  setPortalCountSource(source: CountSource | undefined): void {
    this.portalCountSource = source;
  }

  /** Read at scrape time, so the gauge never lags behind the pipeline. */
  setQueueDepthSource(source: CountSource | undefined): void {
    this.queueDepthSource = source;
  }

  /** One request to the homeserver. `method` names the endpoint (e.g. "PUT /rooms/{roomId}/send"), not a URL. */
  matrixRequest(method: string, outcome: MatrixRequestOutcome): void {
    this.matrixRequests.inc({ method: this.methods.value(requestName(method)), outcome });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric in this registry. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  private async readInto(what: string, source: CountSource | undefined, gauge: Gauge): Promise<void> {
    if (source === undefined) return;
    try {
      const value = await source();
      if (Number.isFinite(value)) gauge.set(value);
    } catch (err) {
      this.logger?.warn(`could not read ${what} for metrics`, { err });
    }
  }
}
