import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReadThroughCache } from "../../src/store/read-through-cache.ts";

describe("ReadThroughCache", () => {
  it("loads once, then answers from memory, with copies", async () => {
    const cache = new ReadThroughCache<string, { n: number }>(10);
    let loads = 0;
    const load = async () => {
      loads++;
      return { n: 1 };
    };
    const first = await cache.get("a", load);
    first!.n = 99;
    assert.deepEqual(await cache.get("a", load), { n: 1 }, "a caller's change does not reach the cache");
    assert.equal(loads, 1);
  });

  it("remembers absence, and what was written, until the next write", async () => {
    const cache = new ReadThroughCache<string, { n: number }>(10);
    assert.equal(await cache.get("a", async () => null), null);
    assert.equal(await cache.get("a", async () => ({ n: 5 })), null, "absence is remembered");
    cache.set("a", { n: 2 });
    assert.deepEqual(await cache.get("a", async () => null), { n: 2 });
    cache.set("a", null);
    assert.equal(await cache.get("a", async () => ({ n: 3 })), null);
  });

  it("does not keep what a read found if a write happened while it was reading", async () => {
    const cache = new ReadThroughCache<string, { n: number }>(10);
    let finishRead: (value: { n: number }) => void = () => {};
    const reading = cache.get("a", () => new Promise((resolve) => (finishRead = resolve)));
    cache.set("a", { n: 2 });
    finishRead({ n: 1 });
    assert.deepEqual(await reading, { n: 1 });
    assert.deepEqual(await cache.get("a", async () => ({ n: 0 })), { n: 2 }, "the write wins");
  });
});
