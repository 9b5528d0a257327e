// Nothing lost when the homeserver goes away: remote events are recorded the moment the network reports them, held
// while the homeserver cannot be reached, and bridged in their order once it is back — also across a restart of the
// bridge in between. Each test prints what it sent and what arrived. On both stores, LevelDB and PostgreSQL.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { plainText, type RoomId, richText } from "bridge-core";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { startNewsBridge } from "../harness/news-bridge.ts";
import type { PostgresCluster } from "../harness/postgres.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { STORES, storeConfig } from "../harness/store-matrix.ts";

for (const store of STORES)
  describe(`remote events survive homeserver outages and bridge restarts, the bridge on ${store}`, () => {
    const runDir = useRunDir(`bridge-durability-${store.toLowerCase()}`);
    let stack: BridgeStack;
    let alice: TestClient;
    let room: RoomId;
    let cluster: PostgresCluster | undefined;
    const ghost = () => `@testnet_carol:${stack.synapse.serverName}`;
    const carol = () => stack.world.users.get("carol" as never)!;
    const say = (body: string) =>
      stack.world.remote.message({
        roomId: "news" as never,
        sender: carol(),
        id: stack.world.newMessageId(),
        text: richText(body),
      });

    /** The bodies of Carol's messages the Matrix user has seen, in order. */
    const arrived = (prefix: string) =>
      alice
        .eventsSeen(room)
        .filter((e) => e.sender === ghost() && String(e.content["body"]).startsWith(prefix))
        .map((e) => String(e.content["body"]));

    function report(name: string, sent: string[], got: string[]): void {
      const lost = sent.filter((b) => !got.includes(b)).length;
      const duplicated = got.length - new Set(got).size;
      process.stdout.write(
        `${name}: sent ${sent.length}, arrived ${got.length}, lost ${lost}, duplicated ${duplicated}\n`,
      );
      assert.equal(lost, 0);
      assert.equal(duplicated, 0);
      assert.deepEqual(got, sent, "in order");
    }

    before(async () => {
      const config = await storeConfig(store, runDir, "testnet", (c) => {
        cluster = c;
      });
      ({ stack, alice } = await startNewsBridge(runDir, config));
      await say("hello");
      room = await alice.join(`#testnet_news:${stack.synapse.serverName}`);
      await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === "hello", {
        roomId: room,
      });
    });

    test("after a restart the bot still answers commands in a DM it joined before", async () => {
      const bot = `@testnetbot:${stack.synapse.serverName}`;
      const dm = await alice.createDirectMessage(bot);
      await alice.waitForEvent(
        (e) => e.type === "m.room.member" && e.state_key === bot && e.content["membership"] === "join",
        { roomId: dm },
      );
      await stack.restartBridge();
      await alice.sendText(dm, "!ping");
      await alice.waitForEvent((e) => e.sender === bot && String(e.content["body"]).startsWith("Pong"), {
        roomId: dm,
      });
    });

    test("while the homeserver is down, remote messages wait and then all arrive, once each, in order", async () => {
      await stack.synapse.stop();
      const sent = Array.from({ length: 30 }, (_, i) => `outage ${i}`);
      const bridged = Promise.all(sent.map((body) => say(body)));
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await stack.synapse.start();
      await bridged;
      await alice.waitForEvent((e) => e.content["body"] === "outage 29", { roomId: room, timeoutMs: 60_000 });
      report("homeserver outage", sent, arrived("outage "));
    });

    test("after the homeserver restarts, messages flow both ways again: none lost, none doubled, in order", async (t) => {
      // Synapse on SQLite numbers its application service transactions from 1 again after a restart.
      await stack.synapse.stop();
      await stack.synapse.start();
      const toRemote = Array.from({ length: 10 }, (_, i) => `matrix after homeserver restart ${i}`);
      for (const body of toRemote) await alice.sendText(room, body);
      await stack.world.waitForMessage((m) => plainText(m.text) === toRemote.at(-1), 60_000);
      const fromRemote = Array.from({ length: 10 }, (_, i) => `remote after homeserver restart ${i}`);
      for (const body of fromRemote) await say(body);
      await alice.waitForEvent((e) => e.content["body"] === fromRemote.at(-1), {
        roomId: room,
        timeoutMs: 60_000,
      });
      await stack.bridge.queue.idle();
      const received = stack.world.received
        .map((m) => plainText(m.text))
        .filter((b) => b.startsWith("matrix after homeserver"));
      report("Matrix → network after a homeserver restart", toRemote, received);
      report(
        "network → Matrix after a homeserver restart",
        fromRemote,
        arrived("remote after homeserver restart "),
      );
      t.diagnostic("both directions bridged after the homeserver restart");
    });

    test("a bridge stopped while the homeserver is down bridges the held events at its next start", async () => {
      await stack.synapse.stop();
      const sent = Array.from({ length: 10 }, (_, i) => `across restart ${i}`);
      for (const body of sent) void say(body);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The old bridge gives up waiting after its drain time and stops; the new one waits for the homeserver at start.
      const restarting = stack.restartBridge();
      await new Promise((resolve) => setTimeout(resolve, 7000));
      await stack.synapse.start();
      await restarting;
      await alice.waitForEvent((e) => e.content["body"] === "across restart 9", {
        roomId: room,
        timeoutMs: 60_000,
      });
      report("bridge restart during an outage", sent, arrived("across restart "));
      const { readFileSync } = await import("node:fs");
      assert.match(
        readFileSync(stack.files.logPath, "utf8"),
        /"resuming remote events","component":[^}]*"count":10|"resuming remote events"[^\n]*"count":10/,
      );
    });
    if (store === "PostgreSQL")
      test("a lost database shows in /health, and once it is back messages cross both ways again", async (t) => {
        const health = async () => {
          const res = await fetch(`${stack.files.bridgeUrl}/health`);
          return {
            status: res.status,
            body: (await res.json()) as { components: Record<string, { ok: boolean }> },
          };
        };
        await cluster!.stop();
        const down = await eventually(async () => {
          const seen = await health();
          assert.equal(seen.status, 503);
          return seen.body;
        }, 30_000);
        assert.equal(down.components["store"]?.ok, false);
        await cluster!.restart();
        await eventually(async () => assert.equal((await health()).status, 200), 60_000);
        const toRemote = Array.from({ length: 5 }, (_, i) => `matrix after the database came back ${i}`);
        for (const body of toRemote) await alice.sendText(room, body);
        await stack.world.waitForMessage((m) => plainText(m.text) === toRemote.at(-1), 60_000);
        const fromRemote = Array.from({ length: 5 }, (_, i) => `remote after the database came back ${i}`);
        for (const body of fromRemote) await say(body);
        await alice.waitForEvent((e) => e.content["body"] === fromRemote.at(-1), {
          roomId: room,
          timeoutMs: 60_000,
        });
        const received = stack.world.received
          .map((m) => plainText(m.text))
          .filter((b) => b.startsWith("matrix after the database"));
        report("Matrix → network after a database outage", toRemote, received);
        report(
          "network → Matrix after a database outage",
          fromRemote,
          arrived("remote after the database came back "),
        );
        t.diagnostic("the store's health followed the database");
      });
  });
