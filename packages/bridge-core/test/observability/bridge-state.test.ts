import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUserId } from "../../src/ids.ts";
import { BridgeStates, type ConnectionStatus } from "../../src/observability/bridge-state.ts";
import { HealthState } from "../../src/observability/health.ts";

const alice = parseUserId("@alice:example.org");

function setup() {
  const health = new HealthState({ required: ["store", "homeserver", "network"] });
  health.set("store", true);
  const states = new BridgeStates({ health });
  const changes: [ConnectionStatus | undefined, ConnectionStatus][] = [];
  states.onUserChange((_user, previous, current) => changes.push([previous, current]));
  return { health, states, changes };
}

describe("bridge state", () => {
  it("health follows the bot's connection and the homeserver both ways, not only at start and stop", () => {
    const { health, states } = setup();
    assert.equal(states.snapshot().state_event, "STARTING");
    states.homeserver(true);
    states.report({ connection: "bot", state: "CONNECTED" });
    states.started();
    assert.equal(health.ok, true);
    assert.equal(states.snapshot().state_event, "CONNECTED");
    states.report({ connection: "bot", state: "TRANSIENT_DISCONNECT", reason: "lost it" });
    assert.equal(health.ok, false);
    assert.equal(health.snapshot().components["network"]?.detail, "TRANSIENT_DISCONNECT (lost it)");
    assert.equal(states.snapshot().state_event, "TRANSIENT_DISCONNECT");
    states.report({ connection: "bot", state: "CONNECTED" });
    assert.equal(health.ok, true);
    states.homeserver(false, "connection refused");
    assert.equal(health.ok, false);
    assert.equal(states.snapshot().error, "homeserver-unreachable");
    states.homeserver(true);
    assert.equal(health.ok, true);
  });

  it("a user's connection is counted, not named, in the snapshot, and each change is told once", () => {
    const { states, changes } = setup();
    states.report({ connection: alice, state: "CONNECTED" });
    states.report({ connection: alice, state: "TRANSIENT_DISCONNECT", reason: "gone" });
    states.report({ connection: alice, state: "TRANSIENT_DISCONNECT", reason: "gone" });
    assert.deepEqual(states.snapshot().remote_counts, { TRANSIENT_DISCONNECT: 1 });
    assert.doesNotMatch(JSON.stringify(states.snapshot()), /alice/);
    assert.deepEqual(
      changes.map(([p, c]) => [p?.state_event, c.state_event]),
      [
        [undefined, "CONNECTED"],
        ["CONNECTED", "TRANSIENT_DISCONNECT"],
      ],
    );
    assert.equal(states.userConnections(alice)[0]?.message, "gone");
  });

  it("several servers: each bot connection is its own health component", () => {
    const { health, states } = setup();
    states.homeserver(true);
    states.report({ connection: "bot", state: "CONNECTED", instance: "a" });
    states.report({ connection: "bot", state: "TRANSIENT_DISCONNECT", instance: "b" });
    assert.equal(health.snapshot().components["network:a"]?.ok, true);
    assert.equal(health.snapshot().components["network:b"]?.ok, false);
    assert.equal(health.snapshot().components["network"], undefined);
  });
});
