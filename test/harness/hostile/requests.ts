// What the hostile suites send to the application service API and what the bridge must answer to it: the
// transaction sections, the answer a body calls for, nesting and prototype-key bodies written as text, and the
// fast-check arbitraries for events that are not valid events.

import fc from "fast-check";

export const TXN = "/_matrix/app/v1/transactions/";
/** The sections of a transaction besides `events`; each must be an array when present. */
export const OTHER_SECTIONS = [
  "ephemeral",
  "de.sorunome.msc2409.ephemeral",
  "to_device",
  "de.sorunome.msc2409.to_device",
];
export const PROTOTYPE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "valueOf",
];

const SEED = process.env["HOSTILE_SEED"] === undefined ? undefined : Number(process.env["HOSTILE_SEED"]);

/** fast-check parameters: a fixed number of runs, stopping at the first failure; HOSTILE_SEED=<n> replays a run. */
export const runs = (numRuns: number) => ({
  numRuns,
  endOnFailure: true,
  ...(SEED !== undefined && { seed: SEED }),
});

/** What the bridge must answer to a transaction body, the way its body parser will have decoded it. */
export function expectedForTransaction(decoded: string): [number, string | undefined] {
  // The body parser takes an empty body for `{}` and drops a byte order mark.
  const text = decoded.startsWith("\uFEFF") ? decoded.slice(1) : decoded;
  if (text === "") return [400, "M_BAD_JSON"];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [400, "M_NOT_JSON"];
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [400, "M_BAD_JSON"];
  const record = value as Record<string, unknown>;
  if (!Array.isArray(record["events"])) return [400, "M_BAD_JSON"];
  for (const key of OTHER_SECTIONS) {
    if (Object.hasOwn(record, key) && !Array.isArray(record[key])) return [400, "M_BAD_JSON"];
  }
  return [200, undefined];
}

/** `depth` levels of arrays and objects (by `shape`, cycled), built as text: no recursion on either side. */
export function nestedText(depth: number, shape: readonly boolean[] = [true], leaf = "1"): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    const array = shape[i % shape.length] ?? true;
    open.push(array ? "[" : '{"k":');
    close.push(array ? "]" : "}");
  }
  return open.join("") + leaf + close.reverse().join("");
}

/** A JSON object's text with exactly these keys, `__proto__` included (an object literal would set the prototype). */
export const objectText = (entries: [string, string][]): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`;

/** Events of every shape that is not a valid event, or not one for any room the bridge knows. */
export const garbageEntry = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        type: fc.oneof(
          fc.string(),
          fc.constantFrom("m.room.message", "m.room.member", "m.typing"),
          fc.jsonValue(),
        ),
        room_id: fc.oneof(fc.integer(), fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.string()),
        sender: fc.oneof(fc.object({ maxDepth: 1 }), fc.boolean(), fc.string()),
        event_id: fc.oneof(fc.integer(), fc.string()),
        state_key: fc.oneof(fc.integer(), fc.array(fc.string())),
        content: fc.oneof(
          fc.string(),
          fc.integer(),
          fc.array(fc.jsonValue({ maxDepth: 1 })),
          fc.constant(null),
        ),
        origin_server_ts: fc.oneof(fc.string(), fc.double()),
      },
      { requiredKeys: [] },
    ),
  );
