// Health, bridge state and users' connection notices follow the network going away and coming back, for the XMPP
// bridge (Prosody stopped and started: the component connection and a user's own account) and the Telegram bridge
// (the Bot API emulator stopped and started: the bot's polling), and health the homeserver (Synapse stopped and
// started). The IRC bridge's are in operating-irc.test.ts.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { XmppNetwork } from "bridge-xmpp";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { startTelegramSuite, type TelegramSuite } from "../harness/telegram/telegram-suite.ts";
import { ProsodyServer } from "../harness/xmpp/prosody.ts";
import { startXmppBridgeStack } from "../harness/xmpp/xmpp-bridge-stack.ts";

interface Health {
  components: Record<string, { ok: boolean; detail?: string }>;
}

/** The bridge's /health (status and body) and /bridge_state, as an orchestrator and a dashboard read them. */
function observe(bridgeUrl: string) {
  const get = (path: string) => fetch(`${bridgeUrl}${path}`);
  return {
    health: async () => {
      const res = await get("/health");
      return { status: res.status, body: (await res.json()) as Health };
    },
    state: async () => ((await (await get("/bridge_state")).json()) as { state_event: string }).state_event,
    ready: async () => (await get("/ready")).status,
  };
}

/** Waits until /health says the network is down, then until it is healthy again after `restart`. */
async function outage(bridgeUrl: string, stop: () => Promise<void>, restart: () => Promise<void>) {
  const { health, state, ready } = observe(bridgeUrl);
  assert.equal((await health()).status, 200);
  assert.equal(await state(), "CONNECTED");
  await stop();
  const down = await eventually(async () => {
    const seen = await health();
    assert.equal(seen.status, 503);
    return seen.body;
  }, 30_000);
  assert.equal(down.components["network"]?.ok, false);
  assert.match(down.components["network"]?.detail ?? "", /TRANSIENT_DISCONNECT/);
  assert.equal(down.components["homeserver"]?.ok, true);
  assert.equal(await ready(), 200, "a bridge whose network is down still takes transactions");
  assert.equal(await state(), "TRANSIENT_DISCONNECT");
  return {
    recover: async () => {
      await restart();
      await eventually(async () => assert.equal((await health()).status, 200), 60_000);
      assert.equal(await state(), "CONNECTED");
    },
  };
}

describe("XMPP bridge in operation: Prosody stopped and started", () => {
  const runDir = useRunDir("operating-xmpp");
  const password = "alice's own secret";
  let server: ProsodyServer;
  let stack: BridgeStack<XmppNetwork>;
  let alice: TestClient;
  let dm: RoomId;
  const bot = () => stack.bridge.naming.botUserId;

  before(async () => {
    server = await ProsodyServer.create({ runDir: runDir.path });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    await server.register("alice", password);
    stack = await startXmppBridgeStack({
      runDir: runDir.path,
      server,
      settings: { accounts: { service: `xmpp://${server.host}:${server.c2sPort}` } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    dm = await alice.createDirectMessage(bot());
    await alice.sendText(dm, `login alice@${server.domain} ${password}`);
    await alice.waitForEvent((e) => e.sender === bot() && /logged in/i.test(String(e.content["body"])), {
      roomId: dm,
    });
  });

  test("health and state follow the server; alice is told her own account went down and came back", async () => {
    const outageOf = await outage(
      stack.files.bridgeUrl,
      () => server.stop(),
      () => server.start(),
    );
    await alice.waitForEvent(
      (e) => e.sender === bot() && /Your Test XMPP connection is down/.test(String(e.content["body"])),
      { roomId: dm, timeoutMs: 30_000 },
    );
    await outageOf.recover();
    await alice.waitForEvent(
      (e) => e.sender === bot() && /Your Test XMPP connection is back/.test(String(e.content["body"])),
      { roomId: dm, timeoutMs: 60_000 },
    );
  });
});

describe("Telegram bridge in operation: the Bot API emulator stopped and started", () => {
  const runDir = useRunDir("operating-telegram");
  let suite: TelegramSuite;

  before(async () => {
    suite = await startTelegramSuite(runDir);
  });

  test("health and state follow the bot's polling going away and coming back", async () => {
    const outageOf = await outage(
      suite.stack.files.bridgeUrl,
      () => suite.emulator.stop(),
      () => suite.emulator.restart(),
    );
    await outageOf.recover();
  });

  test("health follows the homeserver going away and coming back", async () => {
    const { health, ready } = observe(suite.stack.files.bridgeUrl);
    await suite.stack.synapse.stop();
    const down = await eventually(async () => {
      const seen = await health();
      assert.equal(seen.status, 503);
      return seen.body;
    }, 30_000);
    assert.equal(down.components["homeserver"]?.ok, false);
    assert.equal(down.components["network"]?.ok, true);
    assert.equal(await ready(), 200, "the bridge still takes what the homeserver sends once it is back");
    await suite.stack.synapse.start();
    await eventually(async () => assert.equal((await health()).status, 200), 30_000);
  });
});
