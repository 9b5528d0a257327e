// The store contract: what every BridgeStore must do, as tests that run against each implementation — LevelDB in
// the unit tests (level-store.test.ts), PostgreSQL in test/e2e/store-contract.test.ts, which starts a real server.
// The contract is the level store's behaviour as its tests described it before PostgreSQL came, unchanged. It is
// split by area: the inbox and transactions, the keyed records, and the writes that are grouped together.

import { afterEach, beforeEach, describe } from "node:test";
import type { BridgeStore } from "../../src/store/store.ts";
import { describeGroupedWrites } from "./store-contract-grouped.ts";
import { describeInboxContract } from "./store-contract-inbox.ts";
import { describeRecordsContract } from "./store-contract-records.ts";

/** One implementation, as the contract drives it. */
export interface StoreUnderTest {
  /** Makes a new, empty place for a store (a folder, a database); called before each test. */
  fresh(): Promise<void>;
  /** Opens the store at the current place; the key file defaults to one in the test's folder. */
  open(options?: { keyFile?: string }): Promise<BridgeStore>;
  /** Everything the store keeps, as text: where a readable credential would show. */
  rawText(): Promise<string>;
  /** Removes the current place. */
  cleanup(): Promise<void>;
}

/** The running test's store, as the parts of the contract share it: a test may close it and put another in. */
export interface ContractSession {
  store: BridgeStore;
  readonly under: StoreUnderTest;
  /** Closes the store and opens it again, as a restart of the bridge does. */
  reopen(): Promise<void>;
}

export function describeStoreContract(name: string, under: StoreUnderTest): void {
  describe(`store contract: ${name}`, () => {
    let store: BridgeStore;

    beforeEach(async () => {
      await under.fresh();
      store = await under.open();
    });

    afterEach(async () => {
      await store.close();
      await under.cleanup();
    });

    /** Closes the store and opens it again, as a restart of the bridge does. */
    async function reopen(): Promise<void> {
      await store.close();
      store = await under.open();
    }

    const ctx: ContractSession = {
      get store() {
        return store;
      },
      set store(next) {
        store = next;
      },
      under,
      reopen,
    };

    describeInboxContract(ctx);
    describeRecordsContract(ctx);
    describeGroupedWrites({
      current: () => store,
      reopen,
      async closeThenOpen(pending) {
        await store.close();
        await Promise.all(pending);
        store = await under.open();
      },
    });
  });
}
