// Where bridge-core's ingest time goes, stage by stage, timed on a stream of its own (the timing would slow the
// measured ones): the hooks wrap the running bridge's store, its event handling and the no-op plugin, and read the
// homeserver's side (when each PUT left and its answer came back) from the stream measurement.
// Per transaction: receive (the PUT leaving to the store being asked to accept it: the homeserver's request, HTTP,
// routing, authentication, JSON parsing, the body check), accept (the store's atomic write, fsynced with
// `store.sync`), acknowledge (accepted to the answer back at the homeserver: queueing the events, the response).
// Per event: queued (accepted to its handling starting: the backlog, waiting and not working), dispatch (handling
// up to the plugin's `sendMessage`), plugin (the plugin and the door until the mapping write), mapping (the event
// mapping written) and completion (the inbox entry marked handled).

import type { Bridge } from "bridge-core/bridge";
import { round } from "./stats.ts";
import type { StreamMeasurement } from "./synthetic-stream.ts";

export const TRANSACTION_STAGES = ["receive", "accept", "acknowledge"] as const;
export const EVENT_STAGES = ["queued", "dispatch", "plugin", "mapping", "completion"] as const;
export type Stage = (typeof TRANSACTION_STAGES)[number] | (typeof EVENT_STAGES)[number];

/** Mean microseconds per transaction (transaction stages) or per event (event stages). */
export type StageBreakdown = Record<Stage, number>;

const now = () => performance.now();

export class StageRecorder {
  private measurement: StreamMeasurement | null = null;
  private samples = emptySamples();
  /** When each transaction's accept was asked for and when it resolved, by stream index. */
  private readonly acceptedAt = new Map<number, number>();
  /** Per event id: when it was accepted, when its handling started, when the plugin got it. */
  private readonly eventAccepted = new Map<string, number>();
  private readonly eventHandled = new Map<string, number>();
  private readonly eventAtPlugin = new Map<string, number>();

  /** Wraps the started bridge's store and handling; they only record while a stream is being timed. */
  attach(bridge: Bridge): void {
    const store = bridge.store;
    const accept = store.acceptTransaction.bind(store);
    store.acceptTransaction = async (txnId, items) => {
      const index = this.indexOf(txnId);
      const asked = now();
      const accepted = await accept(txnId, items);
      const done = now();
      if (index === null || this.measurement === null) return accepted;
      const sent = this.measurement.sentAt[index];
      if (sent !== undefined) this.samples.receive.push(asked - sent);
      this.samples.accept.push(done - asked);
      this.acceptedAt.set(index, done);
      for (const entry of accepted?.entries ?? []) this.eventAccepted.set(eventIdOf(entry), done);
      return accepted;
    };
    const putEventLink = store.putEventLink.bind(store);
    store.putEventLink = async (link) => {
      const started = now();
      const atPlugin = this.eventAtPlugin.get(link.eventId);
      await putEventLink(link);
      if (this.measurement === null || atPlugin === undefined) return;
      this.samples.plugin.push(started - atPlugin);
      this.samples.mapping.push(now() - started);
    };
    const completeInbox = store.completeInbox.bind(store);
    store.completeInbox = async (seq, options) => {
      const started = now();
      await completeInbox(seq, options);
      if (this.measurement !== null) this.samples.completion.push(now() - started);
    };
    const events = bridge.services.matrixEvents;
    const handle = events.handle.bind(events);
    events.handle = (entry) => {
      const accepted = this.eventAccepted.get(eventIdOf(entry));
      if (this.measurement !== null && accepted !== undefined) {
        const started = now();
        this.eventHandled.set(eventIdOf(entry), started);
        this.samples.queued.push(started - accepted);
      }
      return handle(entry);
    };
  }

  /** Call from the plugin's `sendMessage` with the event id of the message. */
  atPlugin(eventId: string | undefined): void {
    const handled = eventId === undefined ? undefined : this.eventHandled.get(eventId);
    if (this.measurement === null || eventId === undefined || handled === undefined) return;
    const at = now();
    this.eventAtPlugin.set(eventId, at);
    this.samples.dispatch.push(at - handled);
  }

  /** Times the stream `measurement` sends, until `finish`. */
  start(measurement: StreamMeasurement): void {
    this.measurement = measurement;
    this.samples = emptySamples();
    for (const map of [this.acceptedAt, this.eventAccepted, this.eventHandled, this.eventAtPlugin])
      map.clear();
  }

  finish(): StageBreakdown {
    const measurement = this.measurement;
    this.measurement = null;
    for (const [index, accepted] of this.acceptedAt) {
      const acked = measurement?.ackedAt[index];
      if (acked !== undefined) this.samples.acknowledge.push(acked - accepted);
    }
    const breakdown = {} as StageBreakdown;
    for (const stage of [...TRANSACTION_STAGES, ...EVENT_STAGES]) {
      const samples = this.samples[stage];
      const mean = samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length);
      breakdown[stage] = round(mean * 1000, 1);
    }
    return breakdown;
  }

  /** The stream index in a transaction id (`<label>-<index>`, synthetic-stream.ts). */
  private indexOf(txnId: string): number | null {
    const index = Number(txnId.slice(txnId.lastIndexOf("-") + 1));
    return Number.isInteger(index) ? index : null;
  }
}

const eventIdOf = (entry: { event: Record<string, unknown> }): string => String(entry.event["event_id"]);

function emptySamples(): Record<Stage, number[]> {
  const stages = [...TRANSACTION_STAGES, ...EVENT_STAGES];
  return Object.fromEntries(stages.map((stage) => [stage, []])) as unknown as Record<Stage, number[]>;
}
