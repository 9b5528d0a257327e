// The start the encrypted-room suites on the test network share: a bridge stack on a Synapse with the encryption
// experiments on, Alice registered, and her Element-like client (matrix-js-sdk's Rust crypto) started; all of it
// stopped when the suite ends.

import type { TestNetworkConfig } from "../network/test-network-config.ts";
import { type BridgeStack, startBridgeStack } from "./bridge-stack.ts";
import { EncryptedClient } from "./encrypted-client.ts";
import { registerUser, type TestClient } from "./matrix-test-client.ts";
import type { SuiteRunDir } from "./run-dir.ts";
import { SYNAPSE_ENCRYPTION_CONFIG } from "./synapse-encryption.ts";

export interface EncryptedStack {
  stack: BridgeStack;
  alice: TestClient;
  /** Alice's encrypting client: another device of the same user. */
  element: EncryptedClient;
}

/** `encryption`: the bridge's `encryption` settings. */
export async function startEncryptedStack(
  runDir: SuiteRunDir,
  options: { network: TestNetworkConfig; encryption: Record<string, unknown> },
): Promise<EncryptedStack> {
  const stack = await startBridgeStack({
    runDir: runDir.path,
    network: options.network,
    homeserverConfig: SYNAPSE_ENCRYPTION_CONFIG,
    extraConfig: { encryption: options.encryption },
  });
  runDir.addTeardown((failed) => stack.stop(failed));
  const alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
  runDir.addTeardown(() => alice.close());
  const element = await EncryptedClient.start(alice);
  runDir.addTeardown(() => element.stop());
  return { stack, alice, element };
}
