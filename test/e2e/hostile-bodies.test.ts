// The application service API under hostile transaction bodies, against the real bridge over HTTP (with a real
// Synapse behind it): bodies that are not JSON or not a transaction, malformed events, prototype keys, invalid UTF-8
// and odd content types and encodings. Every request must get its answer (a Matrix error body whenever it is refused,
// never a 500, never silence), and valid events beside garbage must still be bridged.

// The generated cases come from fast-check with a fixed number of runs; HOSTILE_SEED=<n> replays one run's choices.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";
import { plainText } from "bridge-core";
import fc from "fast-check";
import { useHostileStack } from "../harness/hostile/hostile-stack.ts";
import {
  garbageEntry,
  OTHER_SECTIONS,
  objectText,
  PROTOTYPE_KEYS,
  runs,
} from "../harness/hostile/requests.ts";

describe("the application service API under hostile transaction bodies", () => {
  const h = useHostileStack("hostile-bodies");
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

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
      fc.asyncProperty(body, (text) => h.expectTransaction("not JSON", text).then(() => undefined)),
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
        const answer = await h.expectTransaction("wrong type", text);
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
        const body = `garbage around #${h.nextEventNumber}`;
        const text = JSON.stringify({
          ...t.unknownSections,
          events: [...t.before, h.validMessage(body), ...t.after],
          ephemeral: t.ephemeral,
          to_device: t.toDevice,
        });
        await h.expectAnswer(
          "garbage beside a valid event",
          { method: "PUT", path: h.nextTxn(), body: text },
          200,
        );
        assert.equal(await h.bridged(body), body);
      }),
      runs(25),
    );
    // Fields of the wrong type on an event that is otherwise right: dropped, not half-handled.
    const wrongField = (field: string, value: unknown) => ({
      ...h.validMessage(`wrong ${field}`),
      [field]: value,
    });
    const malformed = [
      wrongField("room_id", 42),
      wrongField("sender", { user: h.alice.userId }),
      wrongField("content", "hello"),
      wrongField("content", null),
      wrongField("event_id", ["$x"]),
      { ...h.validMessage("no type"), type: undefined },
      { ...h.validMessage("numeric type"), type: 7 },
      { ...h.validMessage("unknown type"), type: "org.example.hostile" },
    ];
    const text = JSON.stringify({ events: [...malformed, h.validMessage("after the malformed ones")] });
    await h.expectAnswer(
      "garbage beside a valid event",
      { method: "PUT", path: h.nextTxn(), body: text },
      200,
    );
    await h.bridged("after the malformed ones");
    await h.stack.bridge.queue.idle();
    const leaked = h.stack.world.received.filter(
      (m) =>
        plainText(m.text).startsWith("wrong ") ||
        ["no type", "numeric type", "unknown type"].includes(plainText(m.text)),
    );
    assert.deepEqual(leaked, [], "events with fields of the wrong type are not bridged");
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
        const body = `prototype keys #${h.nextEventNumber}`;
        const valid = JSON.stringify(h.validMessage(body));
        // The same keys at the top of the body, as an event, inside an event and inside the valid event's content.
        const polluted = objectText([
          ["__proto__", inner],
          ["constructor", `{"prototype":${inner}}`],
          ["events", `[${inner},{"type":"m.room.message","__proto__":${inner},"content":${inner}},${valid}]`],
          ["top", top],
        ]);
        await h.expectAnswer("prototype keys", { method: "PUT", path: h.nextTxn(), body: polluted }, 200);
        assert.equal(await h.bridged(body), body);
      }),
      runs(25),
    );
    // `__proto__` given as the events section is an own key of the parsed body, not the prototype.
    await h.expectAnswer(
      "prototype keys",
      { method: "PUT", path: h.nextTxn(), body: '{"__proto__":{"events":[]}}' },
      400,
      "M_BAD_JSON",
    );
    const body = "the body that counts";
    const content = `{"msgtype":"m.text","body":${JSON.stringify(body)},"__proto__":{"body":"the prototype's body","msgtype":"m.notice"},"constructor":{"prototype":{"polluted":true}}}`;
    const event = JSON.stringify(h.validMessage(body)).replace(/"content":\{[^}]*\}/, `"content":${content}`);
    await h.expectAnswer(
      "prototype keys",
      { method: "PUT", path: h.nextTxn(), body: `{"events":[${event}]}` },
      200,
    );
    const delivered = await h.stack.world.waitForMessage((m) => plainText(m.text) === body);
    assert.equal(delivered.kind, "text");
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
      fc.asyncProperty(bytes, (b) => h.expectTransaction("invalid UTF-8", b).then(() => undefined)),
      runs(40),
    );
    const body = "invalid bytes: ";
    const event = Buffer.from(JSON.stringify({ events: [h.validMessage(`${body}@@`)] }));
    const at = event.indexOf("@@");
    event[at] = 0xff;
    event[at + 1] = 0xc3;
    await h.expectAnswer("invalid UTF-8", { method: "PUT", path: h.nextTxn(), body: event }, 200);
    await h.bridged(`${body}\uFFFD\uFFFD`);
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
        await h.expectAnswer(
          "content type",
          { method: "PUT", path: h.nextTxn(), body: valid, headers: { "content-type": type } },
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
      await h.expectAnswer(
        "content encoding",
        { method: "PUT", path: h.nextTxn(), body, headers: { "content-encoding": encoding } },
        status,
        errcode,
      );
    }
    // No body at all is no transaction.
    await h.expectAnswer("content type", { method: "PUT", path: h.nextTxn() }, 400, "M_BAD_JSON");
  });
});
