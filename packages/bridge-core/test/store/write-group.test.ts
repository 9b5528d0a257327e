import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WriteGroup } from "../../src/store/write-group.ts";

/** A write the test lets finish when it wants, recording what each write was given. */
function recordingWrites() {
  const writes: string[][] = [];
  const finish: (() => void)[] = [];
  const fail: ((err: Error) => void)[] = [];
  const write = (ops: string[]) =>
    new Promise<void>((resolve, reject) => {
      writes.push(ops);
      finish.push(resolve);
      fail.push(reject);
    });
  return { writes, finish, fail, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("WriteGroup", () => {
  it("writes what was asked for in one turn together, and resolves each caller only once it is written", async () => {
    const { writes, finish, write } = recordingWrites();
    const group = new WriteGroup(write);
    let resolved = 0;
    const asked = [group.add("a"), group.add("b", "c")].map((p) => p.then(() => resolved++));
    await turn();
    assert.deepEqual(writes, [["a", "b", "c"]]);
    assert.equal(resolved, 0);
    finish[0]?.();
    await Promise.all(asked);
    assert.equal(resolved, 2);
  });

  it("gathers what is asked for while a write is under way into the next one, written after it", async () => {
    const { writes, finish, write } = recordingWrites();
    const group = new WriteGroup(write);
    const first = group.add("a");
    await turn();
    const second = group.add("b");
    const third = group.add("c");
    await turn();
    assert.deepEqual(writes, [["a"]], "one write at a time");
    finish[0]?.();
    await first;
    await turn();
    assert.deepEqual(writes, [["a"], ["b", "c"]]);
    finish[1]?.();
    await Promise.all([second, third]);
  });

  it("fails every caller of a failed write, and goes on writing afterwards", async () => {
    const { writes, finish, fail, write } = recordingWrites();
    const group = new WriteGroup(write);
    const failing = [group.add("a"), group.add("b")];
    await turn();
    fail[0]?.(new Error("disk full"));
    for (const p of failing) await assert.rejects(p, /disk full/);
    const later = group.add("c");
    await turn();
    assert.deepEqual(writes[1], ["c"]);
    finish[1]?.();
    await later;
  });

  it("is idle at once with nothing to write, and otherwise once everything asked for is written", async () => {
    const { finish, write } = recordingWrites();
    const group = new WriteGroup(write);
    await group.idle();
    void group.add("a");
    let idle = false;
    const waiting = group.idle().then(() => {
      idle = true;
    });
    await turn();
    assert.equal(idle, false);
    finish[0]?.();
    await waiting;
    assert.equal(idle, true);
  });
});
