import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HealthState } from "../../src/observability/health.ts";

/** A clock the test moves by hand, starting at a fixed instant. */
function manualClock(): { now: () => Date; advance: (ms: number) => void } {
  let t = Date.parse("2025-01-01T00:00:00.000Z");
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

describe("HealthState", () => {
  it("is healthy with nothing reported, and only while every component is ok", () => {
    const health = new HealthState();
    assert.deepEqual(health.snapshot(), { ok: true, components: {} });

    health.set("homeserver", true);
    health.set("store", true);
    assert.equal(health.snapshot().ok, true);
    health.set("network:irc", false, "connection refused");
    const snap = health.snapshot();
    assert.equal(snap.ok, false);
    assert.deepEqual(snap.components["network:irc"]?.ok, false);
    assert.equal(snap.components["network:irc"]?.detail, "connection refused");
    assert.equal(snap.components["homeserver"]?.detail, undefined);
    assert.ok(!("detail" in (snap.components["homeserver"] ?? {})));
  });

  it("moves `since` only when a component changes between ok and not ok", () => {
    const clock = manualClock();
    const health = new HealthState({ now: clock.now });
    health.set("homeserver", false, "unreachable");
    const down = health.snapshot().components["homeserver"]?.since;
    assert.equal(down, "2025-01-01T00:00:00.000Z");

    clock.advance(5_000);
    health.set("homeserver", false, "still unreachable");
    assert.equal(health.snapshot().components["homeserver"]?.since, down);
    assert.equal(health.snapshot().components["homeserver"]?.detail, "still unreachable");

    clock.advance(5_000);
    health.set("homeserver", true);
    assert.deepEqual(health.snapshot().components["homeserver"], {
      ok: true,
      since: "2025-01-01T00:00:10.000Z",
    });
  });

  it("counts required components as down until they report", () => {
    const health = new HealthState({ required: ["homeserver", "store"] });
    let snap = health.snapshot();
    assert.equal(snap.ok, false);
    assert.equal(snap.components["store"]?.detail, "not reported yet");

    health.set("homeserver", true);
    assert.equal(health.snapshot().ok, false);
    health.set("store", true);
    snap = health.snapshot();
    assert.equal(snap.ok, true);
    assert.deepEqual(Object.keys(snap.components), ["homeserver", "store"]);
  });

  it("forgets a deleted component", () => {
    const health = new HealthState();
    health.set("puppet:@alice:example.org", false, "logged out");
    assert.equal(health.ok, false);
    health.delete("puppet:@alice:example.org");
    assert.equal(health.ok, true);
    assert.deepEqual(health.snapshot().components, {});
  });

  it("hands out copies, so a caller cannot change the recorded state", () => {
    const health = new HealthState();
    health.set("store", false, "closed");
    const snap = health.snapshot();
    const store = snap.components["store"];
    assert.ok(store);
    store.ok = true;
    assert.equal(health.snapshot().components["store"]?.ok, false);
  });

  it("scrubs credentials from details and applies the bridge's own redaction", () => {
    const asToken = "as-token-0123456789abcdef";
    const health = new HealthState({ redact: (text) => text.split(asToken).join("[redacted]") });
    health.set(
      "homeserver",
      false,
      "GET https://hs.example/_matrix/client/v3/sync?since=s1&access_token=syt_abc123 failed",
    );
    health.set("network:xmpp", false, "auth failed: Authorization: Bearer tok_987 rejected");
    health.set("network:irc", false, "connect to irc://bot:hunter22@irc.example failed");
    health.set("media", false, `upload refused for token ${asToken}`);

    const body = JSON.stringify(health.snapshot());
    for (const secret of ["syt_abc123", "tok_987", "hunter22", asToken])
      assert.ok(!body.includes(secret), secret);
    assert.match(
      health.snapshot().components["homeserver"]?.detail ?? "",
      /since=s1&access_token=\[redacted\]/,
    );
  });

  it("keeps details short", () => {
    const health = new HealthState();
    health.set("store", false, "e".repeat(5_000));
    assert.ok((health.snapshot().components["store"]?.detail?.length ?? 0) <= 501);
  });
});
