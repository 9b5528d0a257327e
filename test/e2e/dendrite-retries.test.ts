// Dendrite's way of retrying, against the real thing. When a transaction fails, Dendrite backs off (2 s, 4 s, … up
// to 64 s) and sends again under the same transaction id — its nanosecond timestamp of the first queued event — with
// whatever queued up meanwhile added. The bridge takes a transaction id as a retry key, not an identity: the retry
// is processed, and the events it repeats are recognised by their event ids. A proxy between Dendrite and the bridge
// (test/harness/flaky-proxy.ts) answers 500 in the bridge's place, which is what a failed delivery looks like to
// Dendrite; what the network side received is counted: nothing lost, nothing doubled, the order kept.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId, richText } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { FlakyProxy } from "../harness/flaky-proxy.ts";
import { freePort } from "../harness/free-port.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { tally, until } from "../harness/tally.ts";

describe("Dendrite retries a failed transaction with more events under the same id", () => {
  const runDir = useRunDir("dendrite-retries");
  let proxy: FlakyProxy;
  let stack: BridgeStack;
  let alice: TestClient;
  let room: RoomId;
  const received = (prefix: string) =>
    stack.world.received.map((m) => plainText(m.text)).filter((body) => body.startsWith(prefix));

  before(async () => {
    const bridgePort = await freePort();
    proxy = await FlakyProxy.start(bridgePort);
    runDir.addTeardown(() => proxy.close());
    stack = await startBridgeStack({
      runDir: runDir.path,
      homeserver: "Dendrite",
      bridgePort,
      registrationUrl: proxy.url,
      network: { rooms: [{ id: "lobby", name: "Lobby" }] },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.homeserver, "alice");
    runDir.addTeardown(() => alice.close());
    room = await alice.join(`#testnet_lobby:${stack.homeserver.serverName}`);
    await alice.sendText(room, "warm-up");
    await stack.world.waitForMessage((m) => plainText(m.text) === "warm-up", 30_000);
  });

  /** Sends `count` messages named `prefix-1…`, one after the other, and returns their bodies. */
  async function send(prefix: string, from: number, count: number): Promise<string[]> {
    const bodies: string[] = [];
    for (let i = from; i < from + count; i++) {
      const body = `${prefix}-${i}`;
      await alice.sendText(room, body);
      bodies.push(body);
    }
    return bodies;
  }

  /** The failed transactions since `since`, each with the later successful retry under its id. */
  function retriesSince(since: number) {
    const failed = proxy.transactions.filter((t) => t.at >= since && t.status !== 200);
    return failed.map((f) => ({
      failed: f,
      retried: proxy.transactions.find((t) => t.txnId === f.txnId && t.status === 200 && t.at > f.at),
    }));
  }

  test("after a 500 the retry carries the first events and those queued since: nothing lost, doubled or reordered", async (t) => {
    const since = Date.now();
    proxy.failTransactions(1);
    const sent = await send("one-failure", 1, 1);
    await until(
      () => proxy.transactions.some((x) => x.at >= since && x.status === 500),
      "the failed delivery",
      15_000,
    );
    // Dendrite now waits 2 s before it tries again; what is sent meanwhile joins the retry.
    sent.push(...(await send("one-failure", 2, 19)));
    await until(() => received("one-failure-").length >= sent.length, "every message at the network", 30_000);
    await stack.bridge.queue.idle();
    tally(t, "Matrix → network across one 500", sent, received("one-failure-"));

    const [retry] = retriesSince(since);
    assert.ok(
      retry?.retried,
      `the failed transaction was retried: ${JSON.stringify(proxy.transactions.slice(-5))}`,
    );
    t.diagnostic(
      `transaction ${retry.failed.txnId}: ${retry.failed.eventIds.length} event(s) answered 500, retried ` +
        `${Math.round((retry.retried.at - retry.failed.at) / 100) / 10} s later with ${retry.retried.eventIds.length}`,
    );
    assert.match(retry.failed.txnId, /^\d{19}$/, "Dendrite's transaction ids are nanosecond timestamps");
    assert.deepEqual(
      retry.retried.eventIds.slice(0, retry.failed.eventIds.length),
      retry.failed.eventIds,
      "the retry starts with the events of the failed attempt",
    );
    assert.ok(retry.retried.eventIds.length > retry.failed.eventIds.length, "the retry carries more events");
  });

  test("two 500s in a row (back-off 2 s, then 4 s) with a bridge restart in between: nothing lost, doubled or reordered", async (t) => {
    const since = Date.now();
    proxy.failTransactions(2);
    const sent = await send("two-failures", 1, 5);
    await until(
      () => proxy.transactions.some((x) => x.at >= since && x.status === 500),
      "the first failure",
      15_000,
    );
    sent.push(...(await send("two-failures", 6, 5)));
    await stack.restartBridge();
    sent.push(...(await send("two-failures", 11, 10)));
    await until(
      () => received("two-failures-").length >= sent.length,
      "every message at the network",
      45_000,
    );
    await stack.bridge.queue.idle();
    tally(t, "Matrix → network across two 500s and a bridge restart", sent, received("two-failures-"));
    const retries = retriesSince(since);
    t.diagnostic(
      retries
        .map(
          (r) =>
            `${r.failed.txnId}: ${r.failed.eventIds.length} event(s) failed, retried with ${r.retried?.eventIds.length}`,
        )
        .join("; "),
    );
    assert.ok(
      retries.length >= 2 && retries.every((r) => r.retried !== undefined),
      "every failed attempt retried",
    );
  });

  test("the network side still reaches Matrix after the faults", async () => {
    const carol = stack.world.addUser("carol", "Carol");
    await stack.world.remote.message({
      roomId: "lobby" as never,
      sender: carol,
      id: stack.world.newMessageId(),
      text: richText("back from the network"),
    });
    await alice.waitForEvent((e) => e.content["body"] === "back from the network", { roomId: room });
  });
});
