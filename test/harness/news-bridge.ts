// The starting point the bridge-model suites share (bridge-messages and bridge-moderation are one suite split in two
// files): Synapse and the bridge on the test network, which has one room, "news", and one user, Carol, and Alice
// registered on Matrix. Everything else each suite creates itself, so the two stay independent of each other.

import { type BridgeStack, startBridgeStack } from "./bridge-stack.ts";
import { registerUser, type TestClient } from "./matrix-test-client.ts";
import type { SuiteRunDir } from "./run-dir.ts";

export interface NewsBridge {
  stack: BridgeStack;
  alice: TestClient;
}

/** Starts the stack and registers Alice, both torn down with the suite's run folder; call it from a `before` hook. */
export async function startNewsBridge(
  runDir: SuiteRunDir,
  extraConfig?: Record<string, unknown>,
): Promise<NewsBridge> {
  const stack = await startBridgeStack({
    runDir: runDir.path,
    ...(extraConfig !== undefined && { extraConfig }),
    network: { rooms: [{ id: "news", name: "News" }], users: [{ id: "carol", displayName: "Carol" }] },
  });
  runDir.addTeardown((failed) => stack.stop(failed));
  const alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
  runDir.addTeardown(() => alice.close());
  return { stack, alice };
}
