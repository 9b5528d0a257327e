// bridge-core's application service API against a real Synapse and a real Dendrite: registration accepted, the bot
// answering in a DM, events arriving through transactions, duplicates processed once (also across a restart), tokens
// checked, portals made by alias queries, ghosts made by user queries, third-party lookups, and the start-up check
// (the ping where the homeserver has it, whoami with a warning where it does not: Dendrite 0.13). On Synapse also with
// the bridge on PostgreSQL.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { plainText } from "bridge-core";
import { type BridgeStack, startBridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { HOMESERVERS, type HomeserverSoftware } from "../harness/homeserver.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { type StoreKind, storeConfig } from "../harness/store-matrix.ts";

// Every homeserver on the default store, and Synapse on PostgreSQL too: the store under a transaction's 200.
const VARIANTS: { software: HomeserverSoftware; store: StoreKind }[] = [
  ...HOMESERVERS.map((software) => ({ software, store: "LevelDB" as const })),
  { software: "Synapse", store: "PostgreSQL" },
];

for (const { software, store } of VARIANTS)
  describe(`application service API with a real ${software}, the bridge on ${store}`, () => {
    const runDir = useRunDir(`appservice-api-${software.toLowerCase()}-${store.toLowerCase()}`);
    let stack: BridgeStack;
    let alice: TestClient;
    let portalId: string;
    const domain = () => stack.homeserver.serverName;

    before(async () => {
      const extraConfig = await storeConfig(store, runDir);
      stack = await startBridgeStack({
        runDir: runDir.path,
        homeserver: software,
        extraConfig,
        network: {
          rooms: [{ id: "lobby", name: "Lobby", topic: "Where everyone meets" }],
          users: [{ id: "bob", displayName: "Bob Remote" }],
        },
      });
      runDir.addTeardown((failed) => stack.stop(failed));
      alice = await registerUser(stack.homeserver, "alice");
      runDir.addTeardown(() => alice.close());
    });

    test(`${software} loaded the generated registration, and the bridge checked it at start-up`, async (t) => {
      const result = await alice.request<unknown>("GET", "/_matrix/client/v3/thirdparty/protocols");
      assert.ok(
        Object.hasOwn(result as object, "testnet"),
        `the registration's protocol is known to ${software}`,
      );
      const ping = await fetch(`${stack.homeserver.url}/_matrix/client/v1/appservice/testnet/ping`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${stack.registration.as_token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ transaction_id: "e2e-ping" }),
      });
      const warning = "the homeserver has no application service ping endpoint";
      if (stack.homeserver.capabilities.pingEndpoint) {
        assert.equal(ping.status, 200);
        assert.equal(typeof ((await ping.json()) as { duration_ms: unknown }).duration_ms, "number");
        assert.ok(!readFileSync(stack.files.logPath, "utf8").includes(warning));
        return;
      }
      // Dendrite 0.13 predates the endpoint (Matrix v1.7): the bridge started anyway, on whoami as its bot, and said so.
      t.diagnostic(
        `${software} has no ping endpoint: the bridge checked its as_token with whoami and warned`,
      );
      assert.equal(ping.status, 404);
      assert.equal(((await ping.json()) as { errcode: string }).errcode, "M_UNRECOGNIZED");
      assert.ok(
        readFileSync(stack.files.logPath, "utf8").includes(warning),
        "the warning is in the bridge's log",
      );
    });

    test("the bot joins a DM and answers ping, with and without the prefix", async () => {
      const bot = stack.bridge.naming.botUserId;
      const dm = await alice.createDirectMessage(bot);
      await alice.waitForEvent(
        (e) => e.type === "m.room.member" && e.state_key === bot && e.content["membership"] === "join",
        { roomId: dm },
      );
      await alice.sendText(dm, "!ping");
      const pong = await alice.waitForEvent(
        (e) => e.sender === bot && String(e.content["body"]).startsWith("Pong"),
        { roomId: dm },
      );
      assert.equal(pong.content["msgtype"], "m.notice");
      await alice.sendText(dm, "ping");
      await alice.waitForEvent(
        (e) =>
          e.sender === bot && String(e.content["body"]).startsWith("Pong") && e.event_id !== pong.event_id,
        { roomId: dm },
      );
      await alice.sendText(dm, "frobnicate");
      await alice.waitForEvent(
        (e) => e.sender === bot && String(e.content["body"]).includes('Unknown command "frobnicate"'),
        { roomId: dm },
      );
    });

    test("joining an alias in the namespace creates the portal through the alias query", async () => {
      portalId = await alice.join(`#testnet_lobby:${domain()}`);
      const link = await stack.bridge.store.getRoomLinkByMatrix(portalId as never);
      assert.equal(link?.remoteRoomId, "lobby");
      assert.equal(link?.kind, "portal");
      const name = await alice.getState<{ name: string }>(portalId, "m.room.name");
      assert.equal(name?.name, "Lobby");
      const topic = await alice.getState<{ topic: string }>(portalId, "m.room.topic");
      assert.equal(topic?.topic, "Where everyone meets");
      const stateKey = "testnet/testnet/lobby";
      for (const type of ["m.bridge", "uk.half-shot.bridge"]) {
        const bridgeState = await alice.getState<{ bridgebot: string; protocol: { id: string } }>(
          portalId,
          type,
          stateKey,
        );
        assert.equal(bridgeState?.bridgebot, stack.bridge.naming.botUserId, `${type} names the bot`);
        assert.equal(bridgeState?.protocol.id, "testnet");
      }
      // The bot owns the portal: it created it (from room version 12 on, creators outrank every power level) and,
      // in older room versions, holds PL 100.
      const bot = stack.bridge.naming.botUserId;
      const created = await alice.waitForEvent((e) => e.type === "m.room.create", { roomId: portalId });
      assert.equal(created.sender, bot);
      const version = Number(created.content["room_version"] ?? "1");
      const power = await alice.getState<{ users: Record<string, number> }>(portalId, "m.room.power_levels");
      if (version < 12) assert.equal(power?.users[bot], 100);
      else assert.equal(power?.users[bot], undefined);
    });

    test("an alias for a room the network does not have is not found", async (t) => {
      const join = alice.join(`#testnet_nowhere:${domain()}`);
      if (software === "Synapse") {
        await assert.rejects(join, /404|M_NOT_FOUND/);
        return;
      }
      // Dendrite 0.13.8 asks the bridge (which answers 404), logs "alias not found", and then answers the client's
      // join with a bare 500 instead of 404 M_NOT_FOUND: its own error mapping, the same without any bridge.
      t.diagnostic("Dendrite answers a join of an unknown alias with 500, not 404 M_NOT_FOUND");
      await assert.rejects(join, /failed with (404|500)/);
      const queries = readFileSync(stack.files.logPath, "utf8")
        .split("\n")
        .filter(
          (line) =>
            line.includes("/_matrix/app/v1/rooms/%23testnet_nowhere") && line.includes('"status":404'),
        );
      assert.equal(queries.length, 1, "the bridge was asked and said it has no such room");
    });

    test("a Matrix user's message reaches the network through a transaction", async () => {
      const eventId = await alice.sendText(portalId, "hello from Matrix");
      const delivered = await stack.world.waitForMessage((m) => plainText(m.text) === "hello from Matrix");
      assert.equal(delivered.sender, alice.userId);
      assert.equal(delivered.remoteRoomId, "lobby");
      assert.equal(delivered.kind, "text");
      await stack.bridge.queue.idle();
      const link = await stack.bridge.store.getEventLinkByMatrix(portalId as never, eventId);
      assert.ok(link?.remoteMessageId, "the event is mapped to the remote message id");
    });

    test("Matrix typing and read receipts reach the network (ephemeral events pushed to the application service)", {
      skip:
        software === "Dendrite" &&
        "Dendrite 0.13 pushes no ephemeral events (typing, receipts) to application services",
    }, async () => {
      const roomPath = `/_matrix/client/v3/rooms/${encodeURIComponent(portalId)}`;
      await alice.request("PUT", `${roomPath}/typing/${encodeURIComponent(alice.userId)}`, {
        typing: true,
        timeout: 10_000,
      });
      await stack.world.waitForDelivery("typing", (t) => t.sender === alice.userId && t.typing);
      const eventId = await alice.sendText(portalId, "read this");
      await stack.world.waitForMessage((m) => plainText(m.text) === "read this");
      await alice.request("POST", `${roomPath}/receipt/m.read/${encodeURIComponent(eventId)}`, {});
      await stack.world.waitForDelivery("receipt", (r) => r.sender === alice.userId);
    });

    test("network typing shows in Matrix (the ghost's typing through the client API)", async () => {
      const bob = stack.world.users.get("bob" as never);
      assert.ok(bob);
      await stack.world.remote.typing({ roomId: "lobby" as never, sender: bob, typing: true });
      await alice.waitForEvent(
        (e) =>
          e.type === "m.typing" &&
          ((e.content["user_ids"] as string[]) ?? []).includes(`@testnet_bob:${domain()}`),
        { roomId: portalId },
      );
    });

    test("a message the network refuses is reported to its sender in the room", async () => {
      stack.world.failNextSend("the remote server is down");
      await alice.sendText(portalId, "this one fails");
      const notice = await alice.waitForEvent(
        (e) =>
          e.sender === stack.bridge.naming.botUserId &&
          String(e.content["body"]).includes("the remote server is down"),
        { roomId: portalId },
      );
      assert.match(String(notice.content["body"]), /could not be delivered/);
    });

    test("a delivery that fails for a passing reason is retried, in order, without bothering the sender", async () => {
      stack.world.failNextSend("connection reset", { passing: true });
      stack.world.failNextSend("connection reset", { passing: true });
      await alice.sendText(portalId, "retried message");
      await alice.sendText(portalId, "the next one");
      await stack.world.waitForMessage((m) => plainText(m.text) === "the next one");
      const bodies = stack.world.received.map((m) => plainText(m.text));
      assert.ok(bodies.indexOf("retried message") < bodies.indexOf("the next one"), "order kept");
      assert.ok(
        !alice.eventsSeen(portalId).some((e) => String(e.content["body"]).includes("connection reset")),
      );
    });

    test("trouble that outlasts the retries is told to the sender", async () => {
      for (let i = 0; i < 4; i++) stack.world.failNextSend("network unreachable", { passing: true });
      await alice.sendText(portalId, "never arrives");
      const notice = await alice.waitForEvent(
        (e) =>
          e.sender === stack.bridge.naming.botUserId &&
          String(e.content["body"]).includes("network unreachable"),
        { roomId: portalId },
      );
      assert.match(String(notice.content["body"]), /could not be delivered/);
      assert.ok(!stack.world.received.some((m) => plainText(m.text) === "never arrives"));
    });

    test("a user query creates the ghost with its display name", async () => {
      const ghost = `@testnet_bob:${domain()}`;
      // Synapse asks the bridge whether an unknown user in its namespace exists before it pushes an event naming them.
      const room = await alice.createRoom({ preset: "private_chat" });
      await alice.invite(room, ghost);
      // The query happens when Synapse pushes the invite to the bridge, just after the invite call returns.
      await eventually(async () => {
        const profile = await alice.request<{ displayname?: string }>(
          "GET",
          `/_matrix/client/v3/profile/${encodeURIComponent(ghost)}`,
        );
        assert.equal(profile.displayname, "Bob Remote");
      });
      const direct = await stack.asHomeserver(
        "GET",
        `/_matrix/app/v1/users/${encodeURIComponent(`@testnet_nobody:${domain()}`)}`,
      );
      assert.equal(direct.status, 404);
      assert.equal(((await direct.json()) as { errcode: string }).errcode, "M_NOT_FOUND");
    });

    test("a duplicated transaction is processed once, also after a restart", async () => {
      const txn = {
        events: [
          {
            type: "m.room.message",
            room_id: portalId,
            sender: alice.userId,
            event_id: "$duplicate-test-event",
            origin_server_ts: Date.now(),
            content: { msgtype: "m.text", body: "sent in a replayed transaction" },
          },
        ],
      };
      const path = "/_matrix/app/v1/transactions/e2e-duplicate-1";
      for (let i = 0; i < 3; i++) assert.equal((await stack.asHomeserver("PUT", path, txn)).status, 200);
      await stack.bridge.queue.idle();
      await stack.restartBridge();
      assert.equal((await stack.asHomeserver("PUT", path, txn)).status, 200);
      assert.equal((await stack.asHomeserver("PUT", "/transactions/e2e-duplicate-1", txn)).status, 200);
      await stack.bridge.queue.idle();
      const copies = stack.world.received.filter(
        (m) => plainText(m.text) === "sent in a replayed transaction",
      );
      assert.equal(copies.length, 1);
      // The restarted bridge still bridges new events.
      await alice.sendText(portalId, "after the restart");
      await stack.world.waitForMessage((m) => plainText(m.text) === "after the restart");
    });

    test("a known transaction id with other events is a new transaction; an event it repeats is handled once", async () => {
      const event = (id: string) => ({
        type: "m.room.message",
        room_id: portalId,
        sender: alice.userId,
        event_id: `$reuse-${id}`,
        origin_server_ts: Date.now(),
        content: { msgtype: "m.text", body: `reused id ${id}` },
      });
      const path = "/_matrix/app/v1/transactions/1";
      // A homeserver that numbers its transactions anew after a restart (Synapse on SQLite) sends id 1 again with new
      // events; one that retries a failed transaction sends it again with what queued up since (Dendrite).
      assert.equal((await stack.asHomeserver("PUT", path, { events: [event("a")] })).status, 200);
      assert.equal((await stack.asHomeserver("PUT", path, { events: [event("a"), event("b")] })).status, 200);
      await stack.restartBridge();
      assert.equal((await stack.asHomeserver("PUT", path, { events: [event("c")] })).status, 200);
      assert.equal((await stack.asHomeserver("PUT", path, { events: [event("c")] })).status, 200);
      await stack.world.waitForMessage((m) => plainText(m.text) === "reused id c");
      await stack.bridge.queue.idle();
      const bodies = stack.world.received
        .map((m) => plainText(m.text))
        .filter((b) => b.startsWith("reused id "));
      assert.deepEqual(bodies, ["reused id a", "reused id b", "reused id c"]);
    });

    test("missing and wrong hs_tokens are refused; the legacy query token works", async () => {
      const path = "/_matrix/app/v1/transactions/e2e-auth";
      const missing = await stack.asHomeserver("PUT", path, { events: [] }, null);
      assert.equal(missing.status, 401);
      assert.equal(((await missing.json()) as { errcode: string }).errcode, "M_UNAUTHORIZED");
      const wrong = await stack.asHomeserver("PUT", path, { events: [] }, "not-the-token");
      assert.equal(wrong.status, 403);
      assert.equal(((await wrong.json()) as { errcode: string }).errcode, "M_FORBIDDEN");
      const legacy = await stack.asHomeserver(
        "PUT",
        `${path}?access_token=${stack.registration.hs_token}`,
        { events: [] },
        null,
      );
      assert.equal(legacy.status, 200);
    });

    test(`third-party lookups through ${software} find portals and ghosts`, async () => {
      const locations = await alice.request<{ alias: string }[]>(
        "GET",
        "/_matrix/client/v3/thirdparty/location/testnet",
        undefined,
        { room: "lobby" },
      );
      assert.deepEqual(
        locations.map((l) => l.alias),
        [`#testnet_lobby:${domain()}`],
      );
      const users = await alice.request<{ userid: string }[]>(
        "GET",
        "/_matrix/client/v3/thirdparty/user/testnet",
        undefined,
        { username: "bob" },
      );
      assert.deepEqual(
        users.map((u) => u.userid),
        [`@testnet_bob:${domain()}`],
      );
      const protocol = await alice.request<{ location_fields: string[] }>(
        "GET",
        "/_matrix/client/v3/thirdparty/protocol/testnet",
      );
      assert.deepEqual(protocol.location_fields, ["room"]);
    });

    after(() => undefined);
  });
