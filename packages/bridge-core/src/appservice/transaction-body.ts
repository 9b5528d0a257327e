// Checks the shape of a transaction body before anything of it is stored. A malformed body as a whole is refused;
// a malformed event inside a well-formed body is dropped alone, so the valid events beside it are still bridged.

import { deviceChangesOf } from "../crypto/sync-changes.ts";
import type { InboxKind, MatrixEventJson, NewInboxItem } from "../store/store.ts";
import { badJson } from "./errors.ts";

/** Where each kind of event sits in a transaction; MSC2409's unstable key is still what some homeservers send. */
const SECTIONS: readonly [string, InboxKind][] = [
  ["events", "timeline"],
  ["ephemeral", "ephemeral"],
  ["de.sorunome.msc2409.ephemeral", "ephemeral"],
  ["to_device", "to_device"],
  ["de.sorunome.msc2409.to_device", "to_device"],
];

/**
 * How deeply objects and arrays may nest in one event. Clients write a handful of levels; JSON.parse takes any depth,
 * but the store's JSON.stringify (and any other recursive walk) overflows the stack a few thousand levels down, which
 * would fail the whole transaction, and the homeserver would retry it forever.
 */
const MAX_EVENT_DEPTH = 256;

/** Fields every kind of event gives as strings when it has them. */
const STRING_FIELDS = ["room_id", "sender", "event_id", "state_key"] as const;

export interface ParsedTransaction {
  items: NewInboxItem[];
  /**
   * Entries that were not events (wrong type, no `type`, a field of the wrong type, nested too deeply); counted so
   * the log says what was dropped.
   */
  dropped: number;
}

/** Walks without recursion: the value came off the wire and may be nested far deeper than the call stack allows. */
function nestsWithin(root: object, maxDepth: number): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  for (;;) {
    const value = values.pop();
    const depth = depths.pop();
    if (value === undefined || depth === undefined) return true;
    if (depth > maxDepth) return false;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === "object" && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

function isEvent(value: unknown): value is MatrixEventJson {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  if (typeof record["type"] !== "string") return false;
  for (const field of STRING_FIELDS) {
    if (Object.hasOwn(record, field) && typeof record[field] !== "string") return false;
  }
  const content = record["content"];
  if (
    Object.hasOwn(record, "content") &&
    (typeof content !== "object" || content === null || Array.isArray(content))
  )
    return false;
  return nestsWithin(record, MAX_EVENT_DEPTH);
}

export function parseTransactionBody(body: unknown): ParsedTransaction {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badJson("the transaction body must be a JSON object");
  }
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record["events"])) throw badJson("`events` must be an array");
  const items: NewInboxItem[] = [];
  let dropped = 0;
  for (const [key, kind] of SECTIONS) {
    const section = record[key];
    if (section === undefined) continue;
    if (!Array.isArray(section)) throw badJson(`\`${key}\` must be an array`);
    for (const event of section) {
      if (isEvent(event)) items.push({ kind, event });
      else dropped++;
    }
  }
  // Device lists and key counts (MSC3202) are kept like events, so an engine that has not had them by a crash gets
  // them at the next start; they come after the to-device events, whose senders' devices they may describe.
  const deviceChanges = deviceChangesOf(record);
  if (deviceChanges !== null) items.push({ kind: "device_changes", event: deviceChanges });
  return { items, dropped };
}
