import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awaitBacklogBelow } from "../../src/pipeline/backpressure.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A queue holding `n` tasks (each in a room of its own) until their gates open. */
function queueHolding(n: number) {
  const queue = new KeyedQueue();
  const gates = Array.from({ length: n }, (_, i) => {
    const g = gate();
    void queue.run(`!room${i}:example.org`, () => g.promise);
    return g;
  });
  return { queue, gates };
}

describe("backpressure", () => {
  it("answers at once while the backlog is within the bound", async () => {
    const { queue, gates } = queueHolding(3);
    assert.equal(await awaitBacklogBelow(queue, 3, new AbortController().signal), 0);
    for (const g of gates) g.open();
  });

  it("holds the answer until handling brings the backlog back to the bound", async () => {
    const { queue, gates } = queueHolding(4);
    let answered = false;
    const waiting = awaitBacklogBelow(queue, 2, new AbortController().signal).then((ms) => {
      answered = true;
      return ms;
    });
    gates[0]?.open();
    await turn();
    assert.equal(answered, false, "3 queued, above the bound of 2");
    gates[1]?.open();
    assert.ok((await waiting) > 0);
    assert.equal(queue.depth, 2);
    for (const g of gates) g.open();
  });

  it("answers after the longest wait even if handling never catches up", async () => {
    const { queue, gates } = queueHolding(2);
    const started = performance.now();
    await awaitBacklogBelow(queue, 1, new AbortController().signal, 30);
    assert.ok(performance.now() - started >= 25);
    assert.equal(queue.depth, 2);
    for (const g of gates) g.open();
  });

  it("answers when the bridge stops", async () => {
    const { queue, gates } = queueHolding(2);
    const stopping = new AbortController();
    const waiting = awaitBacklogBelow(queue, 1, stopping.signal);
    stopping.abort();
    await waiting;
    assert.equal(queue.depth, 2);
    for (const g of gates) g.open();
  });
});
