import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixApiError } from "../../src/appservice/errors.ts";
import { parseTransactionBody } from "../../src/appservice/transaction-body.ts";

const isBadJson = (err: unknown) =>
  err instanceof MatrixApiError && err.status === 400 && err.errcode === "M_BAD_JSON";

describe("parseTransactionBody", () => {
  it("refuses a body that is not an object", () => {
    for (const body of [null, undefined, "events", 3, [], [{ type: "m.room.message" }]]) {
      assert.throws(() => parseTransactionBody(body), isBadJson, JSON.stringify(body));
    }
  });

  it("refuses a body without an `events` array, even when other sections are present", () => {
    assert.throws(() => parseTransactionBody({}), isBadJson);
    assert.throws(() => parseTransactionBody({ ephemeral: [{ type: "m.typing" }] }), isBadJson);
    assert.throws(() => parseTransactionBody({ events: { 0: { type: "m.room.message" } } }), isBadJson);
  });

  it("refuses a present section that is not an array", () => {
    for (const key of [
      "ephemeral",
      "de.sorunome.msc2409.ephemeral",
      "to_device",
      "de.sorunome.msc2409.to_device",
    ]) {
      assert.throws(() => parseTransactionBody({ events: [], [key]: { type: "m.typing" } }), isBadJson, key);
      assert.throws(() => parseTransactionBody({ events: [], [key]: null }), isBadJson, key);
    }
  });

  it("keeps events in their section's order, classifies the sections and counts what it drops", () => {
    const a = { type: "m.room.message", content: { body: "a" } };
    const b = { type: "m.room.member", state_key: "@b:example.org" };
    const typing = { type: "m.typing" };
    const receipt = { type: "m.receipt" };
    const keyRequest = { type: "m.room_key_request" };
    const parsed = parseTransactionBody({
      "de.sorunome.msc2409.to_device": [keyRequest],
      "de.sorunome.msc2409.ephemeral": [receipt, { type: null }],
      ephemeral: [typing],
      events: [a, { content: {} }, [a], b, "x"],
      unknown_section: [{ type: "m.whatever" }],
    });
    assert.deepEqual(parsed, {
      items: [
        { kind: "timeline", event: a },
        { kind: "timeline", event: b },
        { kind: "ephemeral", event: typing },
        { kind: "ephemeral", event: receipt },
        { kind: "to_device", event: keyRequest },
      ],
      dropped: 4,
    });
  });

  it("accepts an empty transaction", () => {
    assert.deepEqual(parseTransactionBody({ events: [] }), { items: [], dropped: 0 });
  });
});
