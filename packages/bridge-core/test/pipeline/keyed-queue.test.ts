import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Lets every already-settled promise chain run to its end. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("KeyedQueue", () => {
  it("runs the tasks of one key strictly in order, even when earlier ones are slower", async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      queue.run("!room:example.org", task("a", 30)),
      queue.run("!room:example.org", task("b", 10)),
      queue.run("!room:example.org", task("c", 0)),
    ]);
    assert.deepEqual(results, ["a", "b", "c"]);
    assert.deepEqual(log, ["a start", "a end", "b start", "b end", "c start", "c end"]);
  });

  it("does not start a task before the one ahead of it under the same key has finished", async () => {
    const queue = new KeyedQueue();
    const first = gate();
    let secondStarted = false;
    const one = queue.run("k", () => first.promise);
    const two = queue.run("k", async () => {
      secondStarted = true;
    });
    await settle();
    assert.equal(secondStarted, false);
    first.open();
    await Promise.all([one, two]);
    assert.equal(secondStarted, true);
  });

  it("runs different keys concurrently: a blocked key does not hold up another", async () => {
    const queue = new KeyedQueue();
    const blocker = gate();
    let blockedDone = false;
    const blocked = queue.run("!slow:example.org", async () => {
      await blocker.promise;
      blockedDone = true;
    });
    const fast = await queue.run("!fast:example.org", async () => "fast done");
    assert.equal(fast, "fast done");
    assert.equal(blockedDone, false);
    blocker.open();
    await blocked;
    assert.equal(blockedDone, true);
  });

  it("hands a rejection to the caller and still runs the next task of that key", async () => {
    const queue = new KeyedQueue();
    const failing = queue.run("k", async () => {
      throw new Error("handler failed");
    });
    const throwingSync = queue.run("k", (): Promise<void> => {
      throw new Error("thrown before any promise");
    });
    const next = queue.run("k", async () => "ran");
    await assert.rejects(failing, /handler failed/);
    await assert.rejects(throwingSync, /thrown before any promise/);
    assert.equal(await next, "ran");
    await queue.idle();
    assert.equal(queue.depth, 0);
  });

  it("counts queued and running tasks over all keys in depth", async () => {
    const queue = new KeyedQueue();
    assert.equal(queue.depth, 0);
    const a = gate();
    const b = gate();
    const runs = [
      queue.run("a", () => a.promise),
      queue.run("a", async () => {}),
      queue.run("b", () => b.promise),
    ];
    assert.equal(queue.depth, 3);
    a.open();
    await runs[1];
    await settle();
    assert.equal(queue.depth, 1);
    b.open();
    await Promise.all(runs);
    await settle();
    assert.equal(queue.depth, 0);
  });

  it("idle() resolves at once when nothing is queued", async () => {
    const queue = new KeyedQueue();
    await queue.idle();
  });

  it("idle() waits for every task, including those queued while waiting, and failed ones", async () => {
    const queue = new KeyedQueue();
    const first = gate();
    const later = gate();
    const finished: string[] = [];
    void queue.run("a", async () => {
      await first.promise;
      finished.push("first");
      // Queued while idle() is already waiting: idle() must wait for it too.
      void queue.run("b", async () => {
        await later.promise;
        finished.push("later");
      });
    });
    queue
      .run("c", async () => {
        throw new Error("failed");
      })
      .catch(() => finished.push("failed"));

    let idle = false;
    const idling = queue.idle().then(() => {
      idle = true;
    });
    first.open();
    await settle();
    assert.equal(idle, false);
    later.open();
    await idling;
    assert.deepEqual(finished.toSorted(), ["failed", "first", "later"]);
    assert.equal(queue.depth, 0);
  });

  it("lets a key that went quiet run its next task immediately", async () => {
    const queue = new KeyedQueue();
    await queue.run("k", async () => {});
    await queue.idle();
    let ran = false;
    const run = queue.run("k", async () => {
      ran = true;
    });
    await run;
    assert.equal(ran, true);
  });
});
