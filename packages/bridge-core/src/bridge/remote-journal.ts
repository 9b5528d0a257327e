// Remote events are written to the store the moment the network reports them and removed once they are bridged: a
// crash or a homeserver outage delays them but never loses them. Every send to the homeserver derives its
// transaction id from the remote ids, so an event bridged just before a crash and replayed after it is stored once.

import type { Logger } from "../log.ts";
import type { RemoteEvents } from "../network.ts";
import type { BridgeStore } from "../store/store.ts";

type Kind = keyof RemoteEvents;
const KINDS = new Set<string>([
  "message",
  "directMessage",
  "edit",
  "deletion",
  "reaction",
  "reactionRemoved",
  "typing",
  "membership",
  "kick",
  "power",
  "profile",
  "roomInfo",
  "presence",
  "receipt",
] satisfies Kind[]);

/** JSON with bytes (media) as base64, since a payload must survive a restart as text. */
const encode = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString("base64") } : v,
  );
const decode = (text: string): unknown =>
  JSON.parse(text, (_key, v: unknown) =>
    typeof v === "object" && v !== null && typeof (v as { $bytes?: unknown }).$bytes === "string"
      ? new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, "base64"))
      : v,
  );

export class RemoteJournal {
  private readonly store: BridgeStore;
  private readonly inner: RemoteEvents;
  private readonly logger: Logger;
  /** Hands events to the pipeline in the order they were reported, whatever order their writes finish in. */
  private order: Promise<unknown> = Promise.resolve();
  /** What the plugin is given: the same callbacks, each journalled first. */
  readonly events: RemoteEvents;

  constructor(options: { store: BridgeStore; inner: RemoteEvents; logger: Logger }) {
    this.store = options.store;
    this.inner = options.inner;
    this.logger = options.logger;
    const journalled = (kind: Kind) => (arg: unknown) => this.record(kind, arg);
    this.events = Object.fromEntries(
      [...KINDS].map((kind) => [kind, journalled(kind as Kind)]),
    ) as unknown as RemoteEvents;
  }

  private record(kind: Kind, arg: unknown): Promise<void> {
    const written = this.store.recordRemoteEvent({ kind, payload: encode(arg) });
    const started = this.order.then(async () => ({ done: this.bridge(kind, arg, await written) }));
    this.order = started.catch(() => undefined);
    return started.then(({ done }) => done);
  }

  /** Starts bridging (the pipeline takes the event in at once) and forgets the record once it is done. */
  private async bridge(kind: Kind, arg: unknown, seq: number): Promise<void> {
    const handler = this.inner[kind] as (value: unknown) => Promise<void>;
    try {
      await handler.call(this.inner, arg);
    } catch (err) {
      // Stopped while the homeserver was unreachable: the record stays, and the next start bridges it.
      if ((err as Error)?.name === "AbortError") return;
      // The pipeline retries passing trouble itself; what still fails here never will (a refused event).
      this.logger.error("a remote event could not be bridged; dropped", { kind, seq, err });
    }
    await this.store.completeRemoteEvent(seq);
  }

  /** Bridges what was recorded before a stop or crash but not bridged, in its order. */
  async resume(): Promise<number> {
    const pending = await this.store.pendingRemoteEvents();
    // Each call hands its event to the pipeline before returning, so the pipeline gets them in their order.
    for (const record of pending) {
      if (KINDS.has(record.kind)) void this.bridge(record.kind as Kind, decode(record.payload), record.seq);
    }
    return pending.length;
  }
}
