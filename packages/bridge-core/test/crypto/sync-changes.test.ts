import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEVICE_CHANGES_TYPE, deviceChangesOf, gatherChanges } from "../../src/crypto/sync-changes.ts";

const toDevice = (user: string, device: string, type: string) => ({
  type,
  sender: "@alice:example.org",
  to_user_id: user,
  to_device_id: device,
  content: {},
});

describe("device changes from transactions", () => {
  it("keeps a transaction's MSC3202 fields as one entry, and none when it has none", () => {
    assert.equal(deviceChangesOf({ events: [] }), null);
    assert.equal(deviceChangesOf({ events: [], "org.matrix.msc3202.device_lists": [] }), null);
    const lists = { changed: ["@alice:example.org"], left: [] };
    assert.deepEqual(deviceChangesOf({ events: [], "org.matrix.msc3202.device_lists": lists }), {
      type: DEVICE_CHANGES_TYPE,
      content: { "org.matrix.msc3202.device_lists": lists },
    });
  });

  it("gathers to-device events per recipient device, in order", () => {
    const gathered = gatherChanges([
      toDevice("@bot:example.org", "BOT", "m.room.encrypted"),
      toDevice("@ghost:example.org", "GHOST", "m.room.encrypted"),
      toDevice("@bot:example.org", "BOT", "m.room_key_request"),
      { type: "m.room.encrypted", content: {} },
    ]);
    assert.deepEqual(
      gathered.devices
        .get("@bot:example.org")
        ?.get("BOT")
        ?.toDevice.map((e) => e.type),
      ["m.room.encrypted", "m.room_key_request"],
    );
    assert.equal(gathered.devices.get("@ghost:example.org")?.get("GHOST")?.toDevice.length, 1);
    assert.equal(gathered.devices.size, 2, "an event without a recipient goes nowhere");
  });

  it("takes the later transaction's word on device lists, and the newest key counts", () => {
    const changes = (content: Record<string, unknown>) => ({ type: DEVICE_CHANGES_TYPE, content });
    const gathered = gatherChanges([
      changes({
        "org.matrix.msc3202.device_lists": { changed: ["@a:x", "@b:x"], left: ["@c:x"] },
        "org.matrix.msc3202.device_one_time_keys_count": { "@bot:x": { BOT: { signed_curve25519: 3 } } },
      }),
      changes({
        "org.matrix.msc3202.device_lists": { changed: ["@c:x"], left: ["@b:x"] },
        "org.matrix.msc3202.device_one_time_keys_count": { "@bot:x": { BOT: { signed_curve25519: 50 } } },
        "org.matrix.msc3202.device_unused_fallback_key_types": { "@bot:x": { BOT: ["signed_curve25519"] } },
      }),
    ]);
    assert.deepEqual([...gathered.changed].sort(), ["@a:x", "@c:x"]);
    assert.deepEqual([...gathered.left], ["@b:x"]);
    const bot = gathered.devices.get("@bot:x")?.get("BOT");
    assert.deepEqual([...(bot?.oneTimeKeyCounts ?? [])], [["signed_curve25519", 50]]);
    assert.deepEqual([...(bot?.unusedFallbackKeyTypes ?? [])], ["signed_curve25519"]);
  });

  it("leaves the unused fallback keys unknown when no transaction said", () => {
    const gathered = gatherChanges([
      {
        type: DEVICE_CHANGES_TYPE,
        content: { "org.matrix.msc3202.device_one_time_keys_count": { "@bot:x": { BOT: {} } } },
      },
    ]);
    assert.equal(gathered.devices.get("@bot:x")?.get("BOT")?.unusedFallbackKeyTypes, undefined);
  });
});
