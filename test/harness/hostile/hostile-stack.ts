// The running bridge each hostile suite attacks: a stack of its own with Alice in a bridged portal, request helpers
// that check every answer the same way, and a tally of what was sent and how it was answered, printed once the
// suite ends so each file reports how much hostile input it got through.

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { plainText } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../bridge-stack.ts";
import { registerUser, type TestClient } from "../matrix-test-client.ts";
import { useRunDir } from "../run-dir.ts";
import { type Answer, type Outgoing, type RawResponse, rawExchange, sendRequest } from "./raw-http.ts";
import { expectedForTransaction, TXN } from "./requests.ts";

export interface HostileStack {
  readonly stack: BridgeStack;
  readonly alice: TestClient;
  readonly portalId: string;
  /** The settled heap once the stack was up, before any hostile input. */
  readonly heapBefore: number;
  /** The number the next valid message will carry, for bodies that must stay unique. */
  readonly nextEventNumber: number;
  tally(kind: string, outcome: string): void;
  /** A transaction path never used before. */
  nextTxn(): string;
  send(out: Outgoing): Promise<Answer>;
  /**
   * Sends and checks the answer: never a 5xx; the expected status; a refusal carries a Matrix error body (a HEAD
   * answer has no body at all).
   */
  expectAnswer(kind: string, out: Outgoing, status: number, errcode?: string): Promise<Answer>;
  /** Sends a transaction body and checks the answer against what the body parser and the spec call for. */
  expectTransaction(kind: string, body: Buffer | string, headers?: Record<string, string>): Promise<Answer>;
  /** Writes bytes on a connection of its own and reads every response until the bridge closes it. */
  rawExchange(kind: string, data: Buffer | string): Promise<RawResponse[]>;
  /** A message from Alice in the portal, which the bridge must pass on to the test network. */
  validMessage(body: string, content?: Record<string, unknown>): Record<string, unknown>;
  /** Waits for a message with this body to reach the test network's lobby. */
  bridged(body: string): Promise<string>;
}

/** Starts the stack in the calling suite's `before` hook; the returned object is usable from the tests on. */
export function useHostileStack(name: string): HostileStack {
  const runDir = useRunDir(name);
  let stack: BridgeStack | undefined;
  let alice: TestClient | undefined;
  let portalId: string | undefined;
  let heapBefore = 0;
  let txnCounter = 0;
  let eventCounter = 0;
  const seen = new Map<string, Map<string, number>>();
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`the ${name} stack exists only once the suite's hooks run`);
    return value;
  };

  const h: HostileStack = {
    get stack() {
      return started(stack);
    },
    get alice() {
      return started(alice);
    },
    get portalId() {
      return started(portalId);
    },
    get heapBefore() {
      return heapBefore;
    },
    get nextEventNumber() {
      return eventCounter + 1;
    },
    tally(kind, outcome) {
      const outcomes = seen.get(kind) ?? new Map<string, number>();
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      seen.set(kind, outcomes);
    },
    nextTxn: () => `${TXN}hostile-${++txnCounter}`,
    send: (out) => sendRequest(h.stack.files.bridgePort, h.stack.registration.hs_token, out),
    async expectAnswer(kind, out, status, errcode) {
      const answer = await h.send(out);
      h.tally(kind, String(answer.status));
      const what = `${kind}: ${out.method} ${out.path.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 200)}`;
      assert.ok(answer.status < 500, what);
      assert.equal(answer.status, status, what);
      if (status >= 400 && out.method !== "HEAD") {
        assert.match(String(answer.headers["content-type"]), /^application\/json/, what);
        const body = answer.json as { errcode?: unknown; error?: unknown } | undefined;
        assert.match(String(body?.errcode), /^M_[A-Z_]+$/, what);
        assert.equal(typeof body?.error, "string", what);
        if (errcode !== undefined) assert.equal(body?.errcode, errcode, what);
      }
      return answer;
    },
    expectTransaction(kind, body, headers) {
      const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      const [status, errcode] =
        bytes.length > h.stack.config.appservice.maxBodyBytes
          ? [413, "M_TOO_LARGE"]
          : expectedForTransaction(bytes.toString("utf8"));
      return h.expectAnswer(
        kind,
        { method: "PUT", path: h.nextTxn(), body: bytes, ...(headers && { headers }) },
        status,
        errcode,
      );
    },
    async rawExchange(kind, data) {
      const responses = await rawExchange(h.stack.files.bridgePort, kind, data);
      for (const response of responses) h.tally(kind, String(response.status));
      return responses;
    },
    validMessage: (body, content = {}) => ({
      type: "m.room.message",
      room_id: h.portalId,
      sender: h.alice.userId,
      event_id: `$hostile-valid-${++eventCounter}`,
      origin_server_ts: Date.now(),
      content: { msgtype: "m.text", body, ...content },
    }),
    bridged: async (body) =>
      plainText(
        (await h.stack.world.waitForMessage((m) => plainText(m.text) === body && m.remoteRoomId === "lobby"))
          .text,
      ),
  };

  before(async () => {
    const bridgeStack = await startBridgeStack({
      runDir: runDir.path,
      network: { rooms: [{ id: "lobby", name: "Lobby" }] },
    });
    stack = bridgeStack;
    runDir.addTeardown((failed) => bridgeStack.stop(failed));
    const client = await registerUser(bridgeStack.synapse, "alice");
    alice = client;
    runDir.addTeardown(() => client.close());
    portalId = await client.join(`#testnet_lobby:${bridgeStack.synapse.serverName}`);
    await client.sendText(portalId, "before the storm");
    await h.bridged("before the storm");
    heapBefore = settledHeap();
  });

  after((t) => {
    let total = 0;
    const kinds = [...seen].map(([kind, outcomes]) => {
      const count = [...outcomes.values()].reduce((a, b) => a + b, 0);
      total += count;
      const statuses = [...outcomes].map(([status, n]) => `${status}×${n}`).join(" ");
      return `${kind} ${count} (${statuses})`;
    });
    t.diagnostic(`hostile requests: ${total}; ${kinds.join("; ")}`);
  });

  return h;
}

/** The heap in use once garbage is collected, so what the bridge keeps is measured, not what it has yet to free. */
export function settledHeap(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
