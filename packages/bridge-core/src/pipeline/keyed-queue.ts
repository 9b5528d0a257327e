// Runs tasks one at a time per key, and keys in parallel: events of one room keep their order while a slow room
// never holds up the others.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Callers of `shorterThan`, each woken once the depth is below its bound. */
  private readonly depthWaiters: { bound: number; wake: () => void }[] = [];

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
      if (this.depthWaiters.length > 0) this.wakeShorterThan();
    });
    return result;
  }

  /** Tasks queued or running, over all keys. */
  get depth(): number {
    return this.pending;
  }

  /** Resolves once fewer than `bound` tasks are queued or running; at once when there are already. */
  shorterThan(bound: number): Promise<void> {
    if (this.pending < bound) return Promise.resolve();
    return new Promise((wake) => this.depthWaiters.push({ bound, wake }));
  }

  private wakeShorterThan(): void {
    for (let i = this.depthWaiters.length - 1; i >= 0; i--) {
      const waiter = this.depthWaiters[i];
      if (waiter !== undefined && this.pending < waiter.bound) {
        this.depthWaiters.splice(i, 1);
        waiter.wake();
      }
    }
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
