// Runs tasks one at a time per key, and keys in parallel: events of one room keep their order while a slow room
// never holds up the others.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private readonly idleWaiters: (() => void)[] = [];

  /** Runs `task` after every task queued before it under the same key. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    this.pending++;
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      // Only the last task of a key removes it, so the map holds just the keys with work queued.
      if (this.tails.get(key) === tail) this.tails.delete(key);
      this.pending--;
      if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    return result;
  }

  /** Tasks queued or running, over all keys. */
  get depth(): number {
    return this.pending;
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
