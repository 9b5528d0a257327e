// Checks the shape of a transaction body before anything of it is stored. A malformed body as a whole is refused;
// a malformed event inside a well-formed body is dropped alone, so the valid events beside it are still bridged.

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

export interface ParsedTransaction {
  items: NewInboxItem[];
  /** Entries that were not events (wrong type, no `type`); counted so the log says what was dropped. */
  dropped: number;
}

function isEvent(value: unknown): value is MatrixEventJson {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === "string"
  );
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
  return { items, dropped };
}
