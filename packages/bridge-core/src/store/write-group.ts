// Group commit for the small writes every handled event makes (its mapping, its inbox entry marked handled). Each
// costs the database one write of its own otherwise, and they queue behind one another: with twenty rooms handled
// side by side, every event waited for about twenty writes before its room could go on. Here the writes asked for in
// one turn of the event loop (and while the previous group is being written) go to the database together, as one
// atomic write, and each caller's promise resolves once that write is done, so the store's contract holds unchanged:
// what a promise resolves is written. Groups are written one at a time, in order.

export class WriteGroup<Op> {
  private readonly write: (ops: Op[]) => Promise<void>;
  private ops: Op[] = [];
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;
  private writing = false;
  private readonly drained: (() => void)[] = [];

  constructor(write: (ops: Op[]) => Promise<void>) {
    this.write = write;
  }

  /** Resolves once `ops` are written, with whatever else was asked for in the same turn. */
  add(...ops: Op[]): Promise<void> {
    this.ops.push(...ops);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** Resolves once every write asked for so far is done (or failed). */
  idle(): Promise<void> {
    if (!this.writing && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // After the microtasks of this turn: the writes that the same resolution set off all join this group.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const ops = this.ops;
    const waiters = this.waiters;
    this.ops = [];
    this.waiters = [];
    this.writing = true;
    try {
      await this.write(ops);
      for (const waiter of waiters) waiter.resolve();
    } catch (err) {
      for (const waiter of waiters) waiter.reject(err);
    } finally {
      this.writing = false;
    }
    if (this.ops.length > 0) this.schedule();
    else for (const wake of this.drained.splice(0)) wake();
  }
}
