// What transactions bring for the bridge's encryption devices, gathered per device before the engines get it: the
// to-device events addressed to each (MSC2409 names the recipient in `to_user_id` and `to_device_id`), the device
// lists that changed (MSC3202, the same for every engine: each follows only the users it shares rooms with), and
// each device's count of one-time keys left and its fallback keys not yet used (MSC3202), of which the newest count.

import type { MatrixEventJson } from "../store/store.ts";

/** The inbox entry a transaction's MSC3202 fields are kept in, beside its to-device events. */
export const DEVICE_CHANGES_TYPE = "device_changes";

/** The MSC3202 fields of a transaction body, under their unstable names (Synapse 1.163 sends no others). */
const DEVICE_LISTS = "org.matrix.msc3202.device_lists";
const ONE_TIME_KEY_COUNTS = "org.matrix.msc3202.device_one_time_keys_count";
const FALLBACK_KEY_TYPES = "org.matrix.msc3202.device_unused_fallback_key_types";

/** A transaction's MSC3202 fields as one event for the inbox, or null when it has none. */
export function deviceChangesOf(body: Record<string, unknown>): MatrixEventJson | null {
  const content: Record<string, unknown> = {};
  for (const key of [DEVICE_LISTS, ONE_TIME_KEY_COUNTS, FALLBACK_KEY_TYPES]) {
    const value = body[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value)) content[key] = value;
  }
  return Object.keys(content).length === 0 ? null : { type: DEVICE_CHANGES_TYPE, content };
}

/** What one device's engine is given in one go. */
export interface DeviceBatch {
  toDevice: MatrixEventJson[];
  oneTimeKeyCounts: Map<string, number>;
  /** Undefined when no transaction said, which the engine reads as "unknown", not as "none left". */
  unusedFallbackKeyTypes: Set<string> | undefined;
}

export interface GatheredChanges {
  /** By user id, then device id. */
  devices: Map<string, Map<string, DeviceBatch>>;
  changed: Set<string>;
  left: Set<string>;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

function batchOf(gathered: GatheredChanges, userId: string, deviceId: string): DeviceBatch {
  let byDevice = gathered.devices.get(userId);
  if (byDevice === undefined) {
    byDevice = new Map();
    gathered.devices.set(userId, byDevice);
  }
  let batch = byDevice.get(deviceId);
  if (batch === undefined) {
    batch = { toDevice: [], oneTimeKeyCounts: new Map(), unusedFallbackKeyTypes: undefined };
    byDevice.set(deviceId, batch);
  }
  return batch;
}

/** Gathers to-device events and device changes, in the order they came, into one batch per device. */
export function gatherChanges(events: readonly MatrixEventJson[]): GatheredChanges {
  const gathered: GatheredChanges = { devices: new Map(), changed: new Set(), left: new Set() };
  for (const event of events) {
    if (event.type !== DEVICE_CHANGES_TYPE) {
      const userId = event["to_user_id"];
      const deviceId = event["to_device_id"];
      if (typeof userId === "string" && typeof deviceId === "string")
        batchOf(gathered, userId, deviceId).toDevice.push(event);
      continue;
    }
    const content = record(event["content"]);
    const lists = record(content[DEVICE_LISTS]);
    for (const [key, into, other] of [
      ["changed", gathered.changed, gathered.left],
      ["left", gathered.left, gathered.changed],
    ] as const) {
      const users = lists[key];
      if (!Array.isArray(users)) continue;
      for (const user of users) {
        if (typeof user !== "string") continue;
        // The later of two transactions decides whether a user was last seen changing or leaving.
        other.delete(user);
        into.add(user);
      }
    }
    for (const [userId, devices] of Object.entries(record(content[ONE_TIME_KEY_COUNTS]))) {
      for (const [deviceId, counts] of Object.entries(record(devices))) {
        const batch = batchOf(gathered, userId, deviceId);
        batch.oneTimeKeyCounts = new Map();
        for (const [algorithm, count] of Object.entries(record(counts)))
          if (typeof count === "number") batch.oneTimeKeyCounts.set(algorithm, count);
      }
    }
    for (const [userId, devices] of Object.entries(record(content[FALLBACK_KEY_TYPES]))) {
      for (const [deviceId, types] of Object.entries(record(devices))) {
        if (!Array.isArray(types)) continue;
        batchOf(gathered, userId, deviceId).unusedFallbackKeyTypes = new Set(
          types.filter((t): t is string => typeof t === "string"),
        );
      }
    }
  }
  return gathered;
}
