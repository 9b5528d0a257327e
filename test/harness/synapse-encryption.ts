// What suites of encrypted rooms need from Synapse: the experimental settings that give application services
// to-device events, device lists and key counts (MSC2409, MSC3202), and a look at what Synapse stored, to prove it
// never held a message's plaintext.

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Homeserver } from "./homeserver.ts";

/** homeserver.yaml keys for `startBridgeStack({ homeserverConfig })` or `Synapse.create({ extraConfig })`. */
export const SYNAPSE_ENCRYPTION_CONFIG = {
  experimental_features: { msc2409_to_device_messages_enabled: true, msc3202_transaction_extensions: true },
};

/** How many events in Synapse's database hold `text` anywhere in their JSON (read from its SQLite file). */
export function eventsHolding(synapse: Pick<Homeserver, "dataDir">, text: string): number {
  const db = new DatabaseSync(join(synapse.dataDir, "homeserver.db"), { readOnly: true });
  try {
    const rows = db.prepare("SELECT json FROM event_json WHERE instr(json, ?) > 0").all(text);
    return rows.length;
  } finally {
    db.close();
  }
}
