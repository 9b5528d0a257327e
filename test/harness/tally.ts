// Counting what crossed a bridge: what was sent against everything that arrived, in the order it arrived. Every
// arrival counts, those the bridge recovered late included: a message out of place fails the order check.

import assert from "node:assert/strict";
import type { TestContext } from "node:test";

export interface TallyOptions {
  /**
   * How many messages may arrive a second time right after their first copy: the one in flight when the bridge was
   * killed, on a network that cannot be asked what it already has (an IRC server without channel history).
   */
  inFlightRepeats?: number;
}

/** Prints sent, arrived, lost and duplicated, and checks them: nothing lost, nothing repeated, the order kept. */
export function tally(
  t: TestContext,
  label: string,
  sent: readonly string[],
  arrivedInOrder: readonly string[],
  options: TallyOptions = {},
): void {
  const sentSet = new Set(sent);
  const ours = arrivedInOrder.filter((body) => sentSet.has(body));
  const unique = new Set(ours);
  const missing = sent.filter((body) => !unique.has(body));
  const repeatedInPlace = ours.filter((body, i) => i > 0 && ours[i - 1] === body);
  const duplicated = ours.length - unique.size;
  t.diagnostic(
    `${label}: sent ${sent.length}, arrived ${unique.size}, lost ${missing.length}, duplicated ${duplicated}` +
      (repeatedInPlace.length > 0 ? ` (right after the first copy: ${repeatedInPlace.join(", ")})` : ""),
  );
  if (missing.length > 0) t.diagnostic(`lost: ${missing.slice(0, 10).join(", ")}`);
  assert.equal(missing.length, 0, `${label}: lost`);
  const allowed = options.inFlightRepeats ?? 0;
  if (duplicated > repeatedInPlace.length || repeatedInPlace.length > allowed) {
    const twice = ours.filter((body, i) => ours.indexOf(body) !== i);
    assert.fail(
      `${label}: duplicated ${duplicated} (${twice.slice(0, 10).join(", ")}); at most ${allowed} allowed`,
    );
  }
  const once = ours.filter((body, i) => i === 0 || ours[i - 1] !== body);
  assert.deepEqual(once, sent, `${label}: in order`);
}

/** Waits until `condition` holds, polling: the counts it reads grow as the test clients receive. */
export async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
