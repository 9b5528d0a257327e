// The application service API under transactions built to exhaust it, against the real bridge over HTTP (with a
// real Synapse behind it): nesting deep enough to overflow a recursive walk, huge arrays, bodies at and past the size
// limit, chunked and compressed. Every request must get its answer, never a 500 and never silence, and the bridge
// must keep working and keep its heap afterwards.

// The generated cases come from fast-check with a fixed number of runs; HOSTILE_SEED=<n> replays one run's choices.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { settledHeap, useHostileStack } from "../harness/hostile/hostile-stack.ts";
import { nestedText, runs } from "../harness/hostile/requests.ts";

/** How much the heap may grow over the whole suite once garbage is collected; the bodies sent total far more. */
const HEAP_GROWTH_LIMIT = 128 * 1024 * 1024;

describe("the application service API under oversized and overdeep transactions", () => {
  const h = useHostileStack("hostile-sizes");

  test("nesting deep enough to overflow a recursive walk is refused or dropped, never a crash", async () => {
    const deep = nestedText(10_000);
    const deepObject = nestedText(10_000, [false]);
    const cases: [string, number][] = [
      [deep, 400],
      [deepObject, 400],
      [`{"events":${deepObject}}`, 400],
      [`{"events":${deep}}`, 200],
      [`{"events":[${deep}]}`, 200],
      [`{"events":[{"type":"m.room.message","content":${deepObject}}]}`, 200],
      [`{"events":[{"type":"m.room.message","unsigned":${deep}}]}`, 200],
      [`{"events":[],"ephemeral":[{"type":"m.typing","content":${deepObject}}]}`, 200],
      [`{"events":[],"to_device":[${deep}]}`, 200],
      [`{"events":[],"unrelated":${deepObject}}`, 200],
      // A million levels in 2 MB and four million in 8 MB, both within the body limit.
      [`{"events":[${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}]}`, 200],
      [
        `{"events":[{"type":"m.room.message","content":{"k":${"[".repeat(4_000_000)}${"]".repeat(4_000_000)}}}]}`,
        200,
      ],
    ];
    for (const [text, status] of cases) {
      await h.expectAnswer("deep nesting", { method: "PUT", path: h.nextTxn(), body: text }, status);
    }
    const placement = fc.record({
      depth: fc.integer({ min: 300, max: 200_000 }),
      shape: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
      where: fc.constantFrom("entry", "content", "unsigned", "ephemeral"),
    });
    await fc.assert(
      fc.asyncProperty(placement, async ({ depth, shape, where }) => {
        const nested = nestedText(depth, shape);
        const body = `beside ${depth} levels #${h.nextEventNumber}`;
        const valid = JSON.stringify(h.validMessage(body));
        const hostile =
          where === "entry"
            ? nested
            : where === "ephemeral"
              ? `{"type":"m.receipt","room_id":${JSON.stringify(h.portalId)},"content":{"k":${nested}}}`
              : `{"type":"m.room.message","room_id":${JSON.stringify(h.portalId)},"${where}":{"k":${nested}}}`;
        const text =
          where === "ephemeral"
            ? `{"events":[${valid}],"ephemeral":[${hostile}]}`
            : `{"events":[${hostile},${valid}]}`;
        await h.expectAnswer("deep nesting", { method: "PUT", path: h.nextTxn(), body: text }, 200);
        assert.equal(await h.bridged(body), body);
      }),
      runs(12),
    );
    // Nesting real clients write still goes through.
    const body = "moderately nested";
    const content = JSON.parse(`{"org.example.tree":${nestedText(60, [false, true])}}`) as Record<
      string,
      unknown
    >;
    await h.expectAnswer(
      "deep nesting",
      { method: "PUT", path: h.nextTxn(), body: JSON.stringify({ events: [h.validMessage(body, content)] }) },
      200,
    );
    await h.bridged(body);
  });

  test("huge arrays of tiny entries are taken in stride", async () => {
    const many = (entry: string, n = 100_000) => Array.from({ length: n }, () => entry).join(",");
    const cases = [
      `{"events":[${many("0")}]}`,
      `{"events":[${many("{}")}]}`,
      `{"events":[${many("[]")}]}`,
      `{"events":[${many('{"type":1}')}]}`,
      `{"events":[],"ephemeral":[${many('{"type":"m.typing","content":"x"}')}]}`,
      `{"events":[],"to_device":[${many("null")}]}`,
      // Events that are well formed but of no room the bridge knows: stored and handled, each of them.
      `{"events":[${many('{"type":"org.example.tiny"}', 20_000)}]}`,
    ];
    for (const text of cases) {
      await h.expectAnswer("huge array", { method: "PUT", path: h.nextTxn(), body: text }, 200);
    }
    const body = "after the huge arrays";
    const text = `{"events":[${many("0", 50_000)},${JSON.stringify(h.validMessage(body))},${many("{}", 50_000)}]}`;
    await h.expectAnswer("huge array", { method: "PUT", path: h.nextTxn(), body: text }, 200);
    await h.bridged(body);
  });

  test("bodies at the size limit are taken and bodies over it are refused with 413", async () => {
    const limit = h.stack.config.appservice.maxBodyBytes;
    const padded = (size: number): string => {
      const shell = '{"events":[],"padding":""}';
      return `{"events":[],"padding":"${"a".repeat(size - shell.length)}"}`;
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -16, max: 16 }), async (offset) => {
        const text = padded(limit + offset);
        assert.equal(text.length, limit + offset);
        await h.expectAnswer(
          "size limit",
          { method: "PUT", path: h.nextTxn(), body: text },
          offset <= 0 ? 200 : 413,
          offset <= 0 ? undefined : "M_TOO_LARGE",
        );
      }),
      runs(6),
    );
    for (const size of [limit, limit + 1]) {
      await h.expectAnswer(
        "size limit",
        { method: "PUT", path: h.nextTxn(), body: padded(size) },
        size > limit ? 413 : 200,
      );
    }
    await h.expectAnswer(
      "size limit",
      { method: "PUT", path: h.nextTxn(), body: padded(3 * limit) },
      413,
      "M_TOO_LARGE",
    );
    // Without a Content-Length, the limit holds as the bytes arrive.
    const chunked = Buffer.from(padded(limit + 1));
    const chunks = Array.from({ length: Math.ceil(chunked.length / 65_536) }, (_, i) =>
      chunked.subarray(i * 65_536, (i + 1) * 65_536),
    );
    await h.expectAnswer("size limit", { method: "PUT", path: h.nextTxn(), chunks }, 413, "M_TOO_LARGE");
    // A small compressed body that inflates past the limit.
    const bomb = gzipSync(Buffer.from(padded(4 * limit)));
    await h.expectAnswer(
      "size limit",
      { method: "PUT", path: h.nextTxn(), body: bomb, headers: { "content-encoding": "gzip" } },
      413,
      "M_TOO_LARGE",
    );
    // A long message still reaches the network whole.
    const long = `long ${"x".repeat(256 * 1024)}`;
    await h.expectAnswer(
      "size limit",
      { method: "PUT", path: h.nextTxn(), body: JSON.stringify({ events: [h.validMessage(long)] }) },
      200,
    );
    await h.bridged(long);
  });

  test("afterwards the bridge is healthy, answers a ping, bridges, and kept its heap", async (t) => {
    const health = await h.send({ method: "GET", path: "/health", token: null });
    assert.equal(health.status, 200, health.text);
    await h.expectAnswer(
      "after",
      { method: "POST", path: "/_matrix/app/v1/ping", body: '{"transaction_id":"after"}' },
      200,
    );
    const ping = await fetch(`${h.stack.synapse.url}/_matrix/client/v1/appservice/testnet/ping`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${h.stack.registration.as_token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ transaction_id: "after-hostile-input" }),
    });
    assert.equal(ping.status, 200, "the homeserver still reaches the bridge");
    await h.alice.sendText(h.portalId, "after the storm");
    await h.bridged("after the storm");
    await h.stack.bridge.queue.idle();
    assert.deepEqual(await h.stack.bridge.store.pendingInbox(), [], "every accepted event was handled");

    const heapAfter = settledHeap();
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    t.diagnostic(`heap used: ${mib(h.heapBefore)} before, ${mib(heapAfter)} after`);
    assert.ok(
      heapAfter - h.heapBefore < HEAP_GROWTH_LIMIT,
      `the heap grew by ${mib(heapAfter - h.heapBefore)}`,
    );
  });
});
