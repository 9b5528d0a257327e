// The application service API under hostile input, against the real bridge over HTTP (with a real Synapse behind
// it): bodies that are not JSON or not a transaction, nesting deep enough to overflow a recursive walk, huge arrays and
// strings, malformed events, prototype keys, invalid UTF-8, odd content types, methods, transaction ids and raw HTTP.
// Every request must get its answer (a Matrix error body whenever it is refused, never a 500, never silence), valid
// events beside garbage must still be bridged, and the bridge must keep working and keep its heap afterwards.
//
// The generated cases come from fast-check with a fixed number of runs; HOSTILE_SEED=<n> replays one run's choices.

import assert from "node:assert/strict";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { deflateSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

/** Long enough for a 10 MiB body on a slow machine; a request still unanswered after this counts as a hang. */
const ANSWER_TIMEOUT_MS = 15_000;
/** How much the heap may grow over the whole suite once garbage is collected; the bodies sent total far more. */
const HEAP_GROWTH_LIMIT = 128 * 1024 * 1024;
const SEED = process.env["HOSTILE_SEED"] === undefined ? undefined : Number(process.env["HOSTILE_SEED"]);
const TXN = "/_matrix/app/v1/transactions/";
/** The sections of a transaction besides `events`; each must be an array when present. */
const OTHER_SECTIONS = [
  "ephemeral",
  "de.sorunome.msc2409.ephemeral",
  "to_device",
  "de.sorunome.msc2409.to_device",
];
const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

interface Outgoing {
  method: string;
  /** Sent exactly as written: no URL parsing, so `..` and stray `%` reach the bridge as they are. */
  path: string;
  body?: Buffer | string;
  /** The body in pieces with chunked transfer encoding, so no Content-Length announces its size. */
  chunks?: Buffer[];
  headers?: Record<string, string>;
  /** Bearer token; the homeserver's unless given, none when null. */
  token?: string | null;
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** What the bridge must answer to a transaction body, the way its body parser will have decoded it. */
function expectedForTransaction(decoded: string): [number, string | undefined] {
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
function nestedText(depth: number, shape: readonly boolean[] = [true], leaf = "1"): string {
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
const objectText = (entries: [string, string][]): string =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(",")}}`;

/** Each response in a raw HTTP exchange: status and body. */
function parseRawResponses(raw: string): { status: number; json: unknown }[] {
  const out: { status: number; json: unknown }[] = [];
  let rest = raw;
  for (;;) {
    const head = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (head === null) return out;
    const length = Number(/content-length:\s*(\d+)/i.exec(head[2] ?? "")?.[1] ?? 0);
    const start = head[0].length;
    out.push({ status: Number(head[1]), json: parseJson(rest.slice(start, start + length)) });
    rest = rest.slice(start + length);
  }
}

describe("the application service API under hostile input", () => {
  const runDir = useRunDir("hostile-transactions");
  let stack: BridgeStack;
  let alice: TestClient;
  let portalId: string;
  let heapBefore: number;
  let txnCounter = 0;
  let eventCounter = 0;
  const seen = new Map<string, Map<string, number>>();
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  const tally = (kind: string, outcome: string): void => {
    const outcomes = seen.get(kind) ?? new Map<string, number>();
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    seen.set(kind, outcomes);
  };
  const nextTxn = (): string => `${TXN}hostile-${++txnCounter}`;
  const runs = (numRuns: number) => ({
    numRuns,
    endOnFailure: true,
    ...(SEED !== undefined && { seed: SEED }),
  });

  /** One request over a connection of its own, with a deadline; rejects when no answer comes. */
  function send(out: Outgoing): Promise<Answer> {
    const token = out.token === undefined ? stack.registration.hs_token : out.token;
    const headers: Record<string, string> = { "content-type": "application/json", ...out.headers };
    if (token !== null) headers["authorization"] = `Bearer ${token}`;
    if (out.body !== undefined) headers["content-length"] = String(Buffer.byteLength(out.body));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: stack.files.bridgePort,
          method: out.method,
          path: out.path,
          headers,
          agent: false,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on("data", (part: Buffer) => parts.push(part));
          res.on("end", () => {
            const text = Buffer.concat(parts).toString("utf8");
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
          });
          res.on("error", reject);
        },
      );
      req.setTimeout(ANSWER_TIMEOUT_MS, () =>
        req.destroy(
          new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms to ${out.method} ${out.path.slice(0, 80)}`),
        ),
      );
      req.on("error", reject);
      if (out.chunks !== undefined) {
        for (const chunk of out.chunks) req.write(chunk);
        req.end();
      } else req.end(out.body);
    });
  }

  /**
   * Sends and checks the answer: never a 5xx; the expected status; a refusal carries a Matrix error body (a HEAD
   * answer has no body at all).
   */
  async function expectAnswer(
    kind: string,
    out: Outgoing,
    status: number,
    errcode?: string,
  ): Promise<Answer> {
    const answer = await send(out);
    tally(kind, String(answer.status));
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
  }

  /** Sends a transaction body and checks the answer against what the body parser and the spec call for. */
  async function expectTransaction(kind: string, body: Buffer | string, headers?: Record<string, string>) {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const [status, errcode] =
      bytes.length > stack.config.appservice.maxBodyBytes
        ? [413, "M_TOO_LARGE"]
        : expectedForTransaction(bytes.toString("utf8"));
    return expectAnswer(
      kind,
      { method: "PUT", path: nextTxn(), body: bytes, ...(headers && { headers }) },
      status,
      errcode,
    );
  }

  /** Writes bytes on a connection of its own and reads everything until the bridge closes it. */
  function rawExchange(kind: string, data: Buffer | string): Promise<{ status: number; json: unknown }[]> {
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const socket = connect(stack.files.bridgePort, "127.0.0.1", () => socket.write(data));
      socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
        socket.destroy(new Error(`${kind}: no answer and no close`)),
      );
      socket.on("data", (part: Buffer) => parts.push(part));
      socket.on("error", reject);
      socket.on("close", () => {
        const responses = parseRawResponses(Buffer.concat(parts).toString("utf8"));
        for (const response of responses) tally(kind, String(response.status));
        resolve(responses);
      });
    });
  }

  /** A message from Alice in the portal, which the bridge must pass on to the test network. */
  const validMessage = (body: string, content: Record<string, unknown> = {}) => ({
    type: "m.room.message",
    room_id: portalId,
    sender: alice.userId,
    event_id: `$hostile-valid-${++eventCounter}`,
    origin_server_ts: Date.now(),
    content: { msgtype: "m.text", body, ...content },
  });

  const bridged = async (body: string) =>
    (await stack.network.waitForMessage((m) => m.body === body && m.remoteRoomId === "lobby")).body;

  /** Events of every shape that is not a valid event, or not one for any room the bridge knows. */
  const garbageEntry = (): fc.Arbitrary<unknown> =>
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

  before(async () => {
    stack = await startBridgeStack({
      runDir: runDir.path,
      network: { rooms: [{ id: "lobby", name: "Lobby" }] },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice");
    runDir.addTeardown(() => alice.close());
    portalId = await alice.join(`#testnet_lobby:${stack.synapse.serverName}`);
    await alice.sendText(portalId, "before the storm");
    await bridged("before the storm");
    heapBefore = settledHeap();
  });

  test("bodies that are not JSON, or JSON cut short, are refused as such", async () => {
    const truncated = fc
      .tuple(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }), fc.nat())
      .map(([events, cut]) => {
        const text = JSON.stringify({ events });
        return text.slice(0, cut % text.length);
      });
    const body = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      truncated,
      fc.constantFrom(
        "",
        " ",
        "\uFEFF",
        "{",
        '{"events":[',
        '{"events":[]',
        "nul",
        "tru",
        "01",
        "{'events':[]}",
        "NaN",
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, (text) => expectTransaction("not JSON", text).then(() => undefined)),
      runs(60),
    );
  });

  test("JSON of the wrong type at the top level and in every section is refused", async () => {
    const notArray = fc.jsonValue({ maxDepth: 3 }).filter((v) => !Array.isArray(v));
    const body = fc.oneof(
      notArray.filter((v) => typeof v !== "object" || v === null).map((v) => JSON.stringify(v)),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map((v) => JSON.stringify(v)),
      notArray.map((events) => JSON.stringify({ events })),
      fc
        .tuple(fc.constantFrom(...OTHER_SECTIONS), notArray)
        .map(([key, v]) => JSON.stringify({ events: [], [key]: v })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const answer = await expectTransaction("wrong type", text);
        assert.equal(answer.status, 400, text);
      }),
      runs(50),
    );
  });

  test("garbage entries and malformed events are dropped; the valid event beside them is bridged", async () => {
    const transaction = fc.record({
      before: fc.array(garbageEntry(), { maxLength: 6 }),
      after: fc.array(garbageEntry(), { maxLength: 6 }),
      ephemeral: fc.array(garbageEntry(), { maxLength: 4 }),
      toDevice: fc.array(garbageEntry(), { maxLength: 4 }),
      unknownSections: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(transaction, async (t) => {
        const body = `garbage around #${eventCounter + 1}`;
        const text = JSON.stringify({
          ...t.unknownSections,
          events: [...t.before, validMessage(body), ...t.after],
          ephemeral: t.ephemeral,
          to_device: t.toDevice,
        });
        await expectAnswer(
          "garbage beside a valid event",
          { method: "PUT", path: nextTxn(), body: text },
          200,
        );
        assert.equal(await bridged(body), body);
      }),
      runs(25),
    );
    // Fields of the wrong type on an event that is otherwise right: dropped, not half-handled.
    const wrongField = (field: string, value: unknown) => ({
      ...validMessage(`wrong ${field}`),
      [field]: value,
    });
    const malformed = [
      wrongField("room_id", 42),
      wrongField("sender", { user: alice.userId }),
      wrongField("content", "hello"),
      wrongField("content", null),
      wrongField("event_id", ["$x"]),
      { ...validMessage("no type"), type: undefined },
      { ...validMessage("numeric type"), type: 7 },
      { ...validMessage("unknown type"), type: "org.example.hostile" },
    ];
    const text = JSON.stringify({ events: [...malformed, validMessage("after the malformed ones")] });
    await expectAnswer("garbage beside a valid event", { method: "PUT", path: nextTxn(), body: text }, 200);
    await bridged("after the malformed ones");
    await stack.bridge.queue.idle();
    const leaked = stack.network.received.filter(
      (m) => m.body.startsWith("wrong ") || ["no type", "numeric type", "unknown type"].includes(m.body),
    );
    assert.deepEqual(leaked, [], "events with fields of the wrong type are not bridged");
  });

  test("nesting deep enough to overflow a recursive walk is refused or dropped, never a crash", async () => {
    const deep = nestedText(10_000);
    const deepObject = nestedText(10_000, [false]);
    const cases: [string, number][] = [
      [deep, 400],
      [deepObject, 400],
      [`{"events":${deepObject}}`, 400],
      [`{"events":${deep}}`, 200],
      [`{"events":[${deep}]}`, 200],
      [`{"events":[{"type":"m.room.message","content":${deepObject}}]}`, 200],
      [`{"events":[{"type":"m.room.message","unsigned":${deep}}]}`, 200],
      [`{"events":[],"ephemeral":[{"type":"m.typing","content":${deepObject}}]}`, 200],
      [`{"events":[],"to_device":[${deep}]}`, 200],
      [`{"events":[],"unrelated":${deepObject}}`, 200],
      // A million levels in 2 MB and four million in 8 MB, both within the body limit.
      [`{"events":[${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}]}`, 200],
      [
        `{"events":[{"type":"m.room.message","content":{"k":${"[".repeat(4_000_000)}${"]".repeat(4_000_000)}}}]}`,
        200,
      ],
    ];
    for (const [text, status] of cases) {
      await expectAnswer("deep nesting", { method: "PUT", path: nextTxn(), body: text }, status);
    }
    const placement = fc.record({
      depth: fc.integer({ min: 300, max: 200_000 }),
      shape: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
      where: fc.constantFrom("entry", "content", "unsigned", "ephemeral"),
    });
    await fc.assert(
      fc.asyncProperty(placement, async ({ depth, shape, where }) => {
        const nested = nestedText(depth, shape);
        const body = `beside ${depth} levels #${eventCounter + 1}`;
        const valid = JSON.stringify(validMessage(body));
        const hostile =
          where === "entry"
            ? nested
            : where === "ephemeral"
              ? `{"type":"m.receipt","room_id":${JSON.stringify(portalId)},"content":{"k":${nested}}}`
              : `{"type":"m.room.message","room_id":${JSON.stringify(portalId)},"${where}":{"k":${nested}}}`;
        const text =
          where === "ephemeral"
            ? `{"events":[${valid}],"ephemeral":[${hostile}]}`
            : `{"events":[${hostile},${valid}]}`;
        await expectAnswer("deep nesting", { method: "PUT", path: nextTxn(), body: text }, 200);
        assert.equal(await bridged(body), body);
      }),
      runs(12),
    );
    // Nesting real clients write still goes through.
    const body = "moderately nested";
    const content = JSON.parse(`{"org.example.tree":${nestedText(60, [false, true])}}`) as Record<
      string,
      unknown
    >;
    await expectAnswer(
      "deep nesting",
      { method: "PUT", path: nextTxn(), body: JSON.stringify({ events: [validMessage(body, content)] }) },
      200,
    );
    await bridged(body);
  });

  test("huge arrays of tiny entries are taken in stride", async () => {
    const many = (entry: string, n = 100_000) => Array.from({ length: n }, () => entry).join(",");
    const cases = [
      `{"events":[${many("0")}]}`,
      `{"events":[${many("{}")}]}`,
      `{"events":[${many("[]")}]}`,
      `{"events":[${many('{"type":1}')}]}`,
      `{"events":[],"ephemeral":[${many('{"type":"m.typing","content":"x"}')}]}`,
      `{"events":[],"to_device":[${many("null")}]}`,
      // Events that are well formed but of no room the bridge knows: stored and handled, each of them.
      `{"events":[${many('{"type":"org.example.tiny"}', 20_000)}]}`,
    ];
    for (const text of cases) {
      await expectAnswer("huge array", { method: "PUT", path: nextTxn(), body: text }, 200);
    }
    const body = "after the huge arrays";
    const text = `{"events":[${many("0", 50_000)},${JSON.stringify(validMessage(body))},${many("{}", 50_000)}]}`;
    await expectAnswer("huge array", { method: "PUT", path: nextTxn(), body: text }, 200);
    await bridged(body);
  });

  test("bodies at the size limit are taken and bodies over it are refused with 413", async () => {
    const limit = stack.config.appservice.maxBodyBytes;
    const padded = (size: number): string => {
      const shell = '{"events":[],"padding":""}';
      return `{"events":[],"padding":"${"a".repeat(size - shell.length)}"}`;
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -16, max: 16 }), async (offset) => {
        const text = padded(limit + offset);
        assert.equal(text.length, limit + offset);
        await expectAnswer(
          "size limit",
          { method: "PUT", path: nextTxn(), body: text },
          offset <= 0 ? 200 : 413,
          offset <= 0 ? undefined : "M_TOO_LARGE",
        );
      }),
      runs(6),
    );
    for (const size of [limit, limit + 1]) {
      await expectAnswer(
        "size limit",
        { method: "PUT", path: nextTxn(), body: padded(size) },
        size > limit ? 413 : 200,
      );
    }
    await expectAnswer(
      "size limit",
      { method: "PUT", path: nextTxn(), body: padded(3 * limit) },
      413,
      "M_TOO_LARGE",
    );
    // Without a Content-Length, the limit holds as the bytes arrive.
    const chunked = Buffer.from(padded(limit + 1));
    const chunks = Array.from({ length: Math.ceil(chunked.length / 65_536) }, (_, i) =>
      chunked.subarray(i * 65_536, (i + 1) * 65_536),
    );
    await expectAnswer("size limit", { method: "PUT", path: nextTxn(), chunks }, 413, "M_TOO_LARGE");
    // A small compressed body that inflates past the limit.
    const bomb = gzipSync(Buffer.from(padded(4 * limit)));
    await expectAnswer(
      "size limit",
      { method: "PUT", path: nextTxn(), body: bomb, headers: { "content-encoding": "gzip" } },
      413,
      "M_TOO_LARGE",
    );
    // A long message still reaches the network whole.
    const long = `long ${"x".repeat(256 * 1024)}`;
    await expectAnswer(
      "size limit",
      { method: "PUT", path: nextTxn(), body: JSON.stringify({ events: [validMessage(long)] }) },
      200,
    );
    await bridged(long);
  });

  test("prototype keys neither pollute nor confuse the bridge", async () => {
    const hostileObject = fc.letrec((tie) => ({
      node: fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS), fc.string({ maxLength: 4 })),
            fc.oneof(
              { depthSize: "small" },
              fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)),
              tie("node") as fc.Arbitrary<string>,
            ),
          ),
          { maxLength: 4 },
        )
        .map((entries) => objectText(entries)),
    })).node;
    await fc.assert(
      fc.asyncProperty(hostileObject, hostileObject, async (top, inner) => {
        const body = `prototype keys #${eventCounter + 1}`;
        const valid = JSON.stringify(validMessage(body));
        // The same keys at the top of the body, as an event, inside an event and inside the valid event's content.
        const polluted = objectText([
          ["__proto__", inner],
          ["constructor", `{"prototype":${inner}}`],
          ["events", `[${inner},{"type":"m.room.message","__proto__":${inner},"content":${inner}},${valid}]`],
          ["top", top],
        ]);
        await expectAnswer("prototype keys", { method: "PUT", path: nextTxn(), body: polluted }, 200);
        assert.equal(await bridged(body), body);
      }),
      runs(25),
    );
    // `__proto__` given as the events section is an own key of the parsed body, not the prototype.
    await expectAnswer(
      "prototype keys",
      { method: "PUT", path: nextTxn(), body: '{"__proto__":{"events":[]}}' },
      400,
      "M_BAD_JSON",
    );
    const body = "the body that counts";
    const content = `{"msgtype":"m.text","body":${JSON.stringify(body)},"__proto__":{"body":"the prototype's body","msgtype":"m.notice"},"constructor":{"prototype":{"polluted":true}}}`;
    const event = JSON.stringify(validMessage(body)).replace(/"content":\{[^}]*\}/, `"content":${content}`);
    await expectAnswer(
      "prototype keys",
      { method: "PUT", path: nextTxn(), body: `{"events":[${event}]}` },
      200,
    );
    const delivered = await stack.network.waitForMessage((m) => m.body === body);
    assert.equal(delivered.msgtype, "m.text");
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.equal(([] as unknown as Record<string, unknown>)["polluted"], undefined);
  });

  test("invalid UTF-8 is decoded with replacement characters or refused, never a crash", async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat()).map(([junk, at]) => {
        const text = Buffer.from('{"events":[{"type":"m.room.message","content":{"body":"between"}}]}');
        const cut = at % text.length;
        return Buffer.concat([text.subarray(0, cut), Buffer.from(junk), text.subarray(cut)]);
      }),
      fc.constantFrom(
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf4, 0x90, 0x80, 0x80]),
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
        Buffer.from('{"events":[],"x":"\\ud800"}'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(bytes, (b) => expectTransaction("invalid UTF-8", b).then(() => undefined)),
      runs(40),
    );
    const body = "invalid bytes: ";
    const event = Buffer.from(JSON.stringify({ events: [validMessage(`${body}@@`)] }));
    const at = event.indexOf("@@");
    event[at] = 0xff;
    event[at + 1] = 0xc3;
    await expectAnswer("invalid UTF-8", { method: "PUT", path: nextTxn(), body: event }, 200);
    await bridged(`${body}\uFFFD\uFFFD`);
  });

  test("content types and encodings: JSON is read whatever the declared type; unknown encodings are refused", async () => {
    const valid = '{"events":[]}';
    const contentType = fc.constantFrom<[string, number]>(
      ["application/json", 200],
      ["application/json; charset=utf-8", 200],
      ["application/json; charset=UTF-8", 200],
      ['application/json; charset="utf-8"', 200],
      ["text/plain", 200],
      ["application/x-www-form-urlencoded", 200],
      ["multipart/form-data; boundary=xyz", 200],
      ["application/octet-stream", 200],
      ["", 200],
      [";;;", 200],
      ["application/json; charset", 200],
      ["application/json; charset=latin1", 415],
      ["application/json; charset=iso-8859-1", 415],
      ["application/json; charset=bogus", 415],
    );
    await fc.assert(
      fc.asyncProperty(contentType, async ([type, status]) => {
        await expectAnswer(
          "content type",
          { method: "PUT", path: nextTxn(), body: valid, headers: { "content-type": type } },
          status,
        );
      }),
      runs(20),
    );
    const encodings: [string, Buffer, number, string?][] = [
      ["gzip", gzipSync(valid), 200],
      ["deflate", deflateSync(valid), 200],
      ["identity", Buffer.from(valid), 200],
      ["gzip", Buffer.from(valid), 400, "M_NOT_JSON"],
      ["deflate", Buffer.from("not deflated"), 400, "M_NOT_JSON"],
      ["br", Buffer.from("not brotli"), 400, "M_NOT_JSON"],
      ["gzip", gzipSync(valid).subarray(0, 12), 400, "M_NOT_JSON"],
      ["compress", Buffer.from(valid), 415, "M_UNKNOWN"],
      ["x-hostile", Buffer.from(valid), 415, "M_UNKNOWN"],
    ];
    for (const [encoding, body, status, errcode] of encodings) {
      await expectAnswer(
        "content encoding",
        { method: "PUT", path: nextTxn(), body, headers: { "content-encoding": encoding } },
        status,
        errcode,
      );
    }
    // No body at all is no transaction.
    await expectAnswer("content type", { method: "PUT", path: nextTxn() }, 400, "M_BAD_JSON");
  });

  test("wrong methods get 405, unknown paths 404, missing or wrong tokens 401 and 403", async () => {
    const routes: [string, string][] = [
      [`${TXN}method-check`, "PUT"],
      ["/transactions/method-check", "PUT"],
      [`/_matrix/app/v1/users/${encodeURIComponent("@testnet_x:example.org")}`, "GET"],
      [`/_matrix/app/v1/rooms/${encodeURIComponent("#testnet_x:example.org")}`, "GET"],
      ["/_matrix/app/v1/ping", "POST"],
      ["/_matrix/app/v1/thirdparty/protocol/testnet", "GET"],
      ["/_matrix/app/v1/thirdparty/location", "GET"],
    ];
    const methods = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"];
    const wrong = fc
      .tuple(fc.constantFrom(...routes), fc.constantFrom(...methods))
      // Express answers HEAD with the GET handler, so HEAD is a wrong method only where GET is one too.
      .filter(([[, allowed], method]) => method !== allowed && !(method === "HEAD" && allowed === "GET"));
    await fc.assert(
      fc.asyncProperty(wrong, async ([[path], method]) => {
        await expectAnswer(
          "wrong method",
          { method, path },
          405,
          method === "HEAD" ? undefined : "M_UNRECOGNIZED",
        );
      }),
      runs(25),
    );
    for (const path of [
      "/_matrix/app/v1/transactions",
      `${TXN}a/b`,
      `${TXN}../ping`,
      "/_matrix/app/v2/transactions/x",
      "/_matrix/app/unstable/ping",
      "/_matrix/client/v3/sync",
    ]) {
      await expectAnswer(
        "unknown path",
        { method: "PUT", path, body: '{"events":[]}' },
        404,
        "M_UNRECOGNIZED",
      );
    }
    const auth: [Outgoing, number, string][] = [
      [{ method: "PUT", path: nextTxn(), body: '{"events":[]}', token: null }, 401, "M_UNAUTHORIZED"],
      [{ method: "PUT", path: nextTxn(), body: '{"events":[]}', token: "" }, 401, "M_UNAUTHORIZED"],
      [
        { method: "PUT", path: nextTxn(), body: '{"events":[]}', token: "x".repeat(8000) },
        403,
        "M_FORBIDDEN",
      ],
      [
        {
          method: "PUT",
          path: nextTxn(),
          body: '{"events":[]}',
          token: null,
          headers: { authorization: "Basic Zm9vOmJhcg==" },
        },
        401,
        "M_UNAUTHORIZED",
      ],
      [
        { method: "PUT", path: `${nextTxn()}?access_token=a&access_token=b`, body: "{}", token: null },
        401,
        "M_UNAUTHORIZED",
      ],
      // Refused before the body is read: a caller without the token cannot make the bridge buffer it.
      [{ method: "PUT", path: nextTxn(), body: "x".repeat(1024 * 1024), token: "wrong" }, 403, "M_FORBIDDEN"],
    ];
    for (const [out, status, errcode] of auth) await expectAnswer("auth", out, status, errcode);
  });

  test("odd transaction ids are taken as opaque strings; undecodable ones are refused", async () => {
    const id = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((v) => v.isWellFormed()),
      fc.constantFrom(
        ".",
        "..",
        "...",
        "__proto__",
        "constructor",
        "hasOwnProperty",
        "/",
        "%",
        "a/../b",
        "\0",
        " ",
      ),
      fc.integer({ min: 1000, max: 8000 }).map((n) => "t".repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(id, async (raw) => {
        // The same id twice: the second is a replay and its event must not be bridged again.
        const body = `txn id #${eventCounter + 1}`;
        const text = JSON.stringify({ events: [validMessage(body)] });
        const path = `${TXN}hostile-${++txnCounter}-${encodeURIComponent(raw)}`;
        await expectAnswer("odd txnId", { method: "PUT", path, body: text }, 200);
        await expectAnswer("odd txnId", { method: "PUT", path, body: text }, 200);
        await bridged(body);
        await stack.bridge.queue.idle();
        assert.equal(stack.network.received.filter((m) => m.body === body).length, 1, path.slice(0, 80));
      }),
      runs(20),
    );
    const accepted = [
      "..",
      ".",
      "%2e%2e",
      "%2E%2E%2F",
      "a%2Fb",
      "%2F",
      "%00",
      "%25",
      "%C3%A9%E2%9C%93",
      "~!$&'()*+,;=:@",
    ];
    for (const raw of accepted) {
      await expectAnswer("odd txnId", { method: "PUT", path: `${TXN}${raw}`, body: '{"events":[]}' }, 200);
    }
    for (const raw of ["%", "%ZZ", "%E0%A4%A", "%C3", "%ED%A0%80", "a%"]) {
      await expectAnswer(
        "odd txnId",
        { method: "PUT", path: `${TXN}${raw}`, body: '{"events":[]}' },
        400,
        "M_INVALID_PARAM",
      );
    }
    // Longer than the HTTP parser takes for a request line and its headers.
    await expectAnswer(
      "odd txnId",
      { method: "PUT", path: `${TXN}${"t".repeat(20_000)}`, body: "{}" },
      431,
      "M_TOO_LARGE",
    );
  });

  test("malformed HTTP gets a Matrix error and the connection closed; cut-off uploads leave no trace", async () => {
    const token = stack.registration.hs_token;
    const valid = '{"events":[]}';
    const head = (path: string, extra: string) =>
      `PUT ${path} HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;
    const exchanges: [string, Buffer | string, number[]][] = [
      ["garbage", "GARBAGE\r\n\r\n", [400]],
      ["unknown method", `FROB ${TXN}x HTTP/1.1\r\nHost: bridge\r\n\r\n`, [400]],
      [
        "raw UTF-8 in the request line",
        Buffer.concat([
          Buffer.from(`PUT ${TXN}`),
          Buffer.from("é✓"),
          Buffer.from(" HTTP/1.1\r\nHost: b\r\n\r\n"),
        ]),
        [400],
      ],
      ["headers too large", head(nextTxn(), `X-Big: ${"b".repeat(20_000)}\r\n`), [431]],
      ["bad chunk", `${head(nextTxn(), "Transfer-Encoding: chunked\r\n")}ZZ\r\n`, [400]],
      ["two lengths", `${head(nextTxn(), "Content-Length: 3\r\nContent-Length: 4\r\n")}abcd`, [400]],
      // A body longer than announced: the announced part is answered, what follows is refused.
      ["body past its length", `${head(nextTxn(), "Content-Length: 5\r\n")}${valid}`, [400, 400]],
      [
        "request after a body",
        `${head(nextTxn(), `Content-Length: ${valid.length}\r\n`)}${valid}NOT HTTP\r\n\r\n`,
        [200, 400],
      ],
    ];
    for (const [kind, data, statuses] of exchanges) {
      const responses = await rawExchange("raw HTTP", data);
      assert.deepEqual(
        responses.map((r) => r.status),
        statuses,
        kind,
      );
      for (const response of responses.filter((r) => r.status >= 400)) {
        assert.match(
          String((response.json as { errcode?: unknown } | undefined)?.errcode),
          /^M_[A-Z_]+$/,
          kind,
        );
      }
    }
    // Uploads cut off halfway: nobody is left to answer, and the bridge must simply carry on.
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(stack.files.bridgePort, "127.0.0.1", () => {
          socket.write(`${head(nextTxn(), "Content-Length: 1000\r\n")}{"events":[`);
          setTimeout(() => socket.destroy(), 20);
        });
        socket.on("close", () => resolve());
        socket.on("error", () => undefined);
      });
      tally("cut-off upload", "no answer");
    }
  });

  test("afterwards the bridge is healthy, answers a ping, bridges, and kept its heap", async (t) => {
    let total = 0;
    const kinds = [...seen].map(([kind, outcomes]) => {
      const count = [...outcomes.values()].reduce((a, b) => a + b, 0);
      total += count;
      const statuses = [...outcomes].map(([status, n]) => `${status}×${n}`).join(" ");
      return `${kind} ${count} (${statuses})`;
    });
    t.diagnostic(`hostile requests: ${total}; ${kinds.join("; ")}`);

    const health = await send({ method: "GET", path: "/health", token: null });
    assert.equal(health.status, 200, health.text);
    await expectAnswer(
      "after",
      { method: "POST", path: "/_matrix/app/v1/ping", body: '{"transaction_id":"after"}' },
      200,
    );
    const ping = await fetch(`${stack.synapse.url}/_matrix/client/v1/appservice/testnet/ping`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.registration.as_token}`, "content-type": "application/json" },
      body: JSON.stringify({ transaction_id: "after-hostile-input" }),
    });
    assert.equal(ping.status, 200, "the homeserver still reaches the bridge");
    await alice.sendText(portalId, "after the storm");
    await bridged("after the storm");
    await stack.bridge.queue.idle();
    assert.deepEqual(await stack.bridge.store.pendingInbox(), [], "every accepted event was handled");

    const heapAfter = settledHeap();
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    t.diagnostic(`heap used: ${mib(heapBefore)} before, ${mib(heapAfter)} after`);
    assert.ok(heapAfter - heapBefore < HEAP_GROWTH_LIMIT, `the heap grew by ${mib(heapAfter - heapBefore)}`);
  });
});

/** The heap in use once garbage is collected, so what the bridge keeps is measured, not what it has yet to free. */
function settledHeap(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
