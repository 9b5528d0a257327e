// Running the IRC bridge for real, against a real InspIRCd and a real Synapse:
// - health, /bridge_state and a user's connection notices follow the IRC server going away and coming back (and a
//   user who sent "notices off" is left in peace);
// - admin commands: help in sections with only what the asker may run, refusals for the rest, the portal list, a
//   user's connection, a reconnect, deleting a portal (its alias then makes a new one);
// - the room directory: Synapse's /thirdparty lookups find a channel's portal alias, and with publish_portals the
//   portal is in /publicRooms, the server's list and the network's.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { eventually } from "../harness/eventually.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

interface BridgeStateJson {
  state_event: string;
  bot: Record<string, { state_event: string }>;
  remote_counts: Record<string, number>;
}

describe("IRC bridge in operation: health, state, notices, admin commands, directory (InspIRCd, Synapse)", () => {
  const runDir = useRunDir("operating-irc");
  let server: IrcServer;
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let admin: TestClient;
  let carol: IrcTestClient;
  let portal: RoomId;
  let aliceDm: RoomId;
  let adminDm: RoomId;
  const bot = () => stack.bridge.naming.botUserId;
  const get = (path: string) => fetch(`${stack.files.bridgeUrl}${path}`);
  const state = async () => (await (await get("/bridge_state")).json()) as BridgeStateJson;

  /** Sends a command in a DM and returns the bot's next answer there. */
  async function ask(client: TestClient, dm: RoomId, command: string): Promise<string> {
    const sent = client.eventsSeen(dm).length;
    await client.sendText(dm, command);
    const answer = await client.waitForEvent(
      (e) =>
        e.sender === bot() && e.content["msgtype"] === "m.notice" && client.eventsSeen(dm).indexOf(e) >= sent,
      { roomId: dm, description: `the answer to ${command}` },
    );
    return String(answer.content["body"]);
  }

  async function openDm(client: TestClient): Promise<RoomId> {
    const dm = await client.createDirectMessage(bot());
    await client.waitForEvent((e) => e.sender === bot() && e.type === "m.room.message", { roomId: dm });
    return dm;
  }

  before(async () => {
    server = await InspircdServer.create({ runDir: runDir.path });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join("#ops");
    stack = await startIrcBridgeStack({
      runDir: runDir.path,
      server,
      settings: { reconnect_max_wait_seconds: 2 },
      extraConfig: {
        bridge: {
          permissions: { "@alice:localhost": "user", "@admin:localhost": "admin" },
          publish_portals: true,
        },
      },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    admin = await registerUser(stack.synapse, "admin", { displayName: "Admin" });
    runDir.addTeardown(() => admin.close());
    aliceDm = await openDm(alice);
    adminDm = await openDm(admin);
    portal = await alice.join(`#irc_#ops:${stack.synapse.serverName}`);
    await alice.sendText(portal, "hello ops");
    await carol.waitFor((e) => e.type === "privmsg" && e.nick === "alice[m]" && e.message === "hello ops");
  });

  test("health, /bridge_state and alice's notices follow the IRC server going away and coming back", async () => {
    assert.equal((await get("/health")).status, 200);
    assert.equal((await get("/ready")).status, 200);
    assert.equal((await state()).state_event, "CONNECTED");
    assert.deepEqual((await state()).remote_counts, { CONNECTED: 1 });

    const stoppedAt = Date.now();
    await server.stop();
    const down = await eventually(async () => {
      const res = await get("/health");
      assert.equal(res.status, 503);
      return (await res.json()) as { components: Record<string, { ok: boolean; detail?: string }> };
    });
    const noticedMs = Date.now() - stoppedAt;
    assert.equal(down.components["network"]?.ok, false);
    assert.match(down.components["network"]?.detail ?? "", /^TRANSIENT_DISCONNECT/);
    assert.equal(down.components["homeserver"]?.ok, true);
    assert.equal(
      (await get("/ready")).status,
      200,
      "a bridge whose network is down still takes transactions",
    );
    assert.equal((await state()).state_event, "TRANSIENT_DISCONNECT");
    await alice.waitForEvent(
      (e) => e.sender === bot() && /Your Test IRC connection is down/.test(String(e.content["body"])),
      { roomId: aliceDm },
    );
    assert.match(
      await ask(alice, aliceDm, "status"),
      /Bridge: TRANSIENT_DISCONNECT.*\n.*TRANSIENT_DISCONNECT/,
    );

    const startedAt = Date.now();
    await server.start();
    await eventually(async () => assert.equal((await get("/health")).status, 200), 30_000);
    const recoveredMs = Date.now() - startedAt;
    assert.equal((await state()).state_event, "CONNECTED");
    // alice's puppet reconnects by itself and she is told.
    await alice.waitForEvent(
      (e) => e.sender === bot() && /Your Test IRC connection is back/.test(String(e.content["body"])),
      { roomId: aliceDm, timeoutMs: 30_000 },
    );
    process.stdout.write(
      `# IRC outage seen by /health after ${noticedMs} ms; healthy ${recoveredMs} ms after the restart\n`,
    );
  });

  test("notices off: the next outage is not told to alice", async () => {
    assert.match(await ask(alice, aliceDm, "notices off"), /Connection notices are off/);
    const before = alice.eventsSeen(aliceDm).length;
    await server.restart();
    await eventually(async () => assert.equal((await state()).remote_counts["CONNECTED"], 1), 30_000);
    await eventually(async () => assert.equal((await get("/health")).status, 200), 30_000);
    const told = alice
      .eventsSeen(aliceDm)
      .slice(before)
      .filter((e) => e.sender === bot() && /connection is (down|back)/.test(String(e.content["body"])));
    assert.deepEqual(told, []);
    assert.match(await ask(alice, aliceDm, "notices"), /Connection notices are off/);
  });

  test("help shows each user what they may run, in sections; admin commands are refused to others", async () => {
    const userHelp = await ask(alice, aliceDm, "help");
    assert.match(userHelp, /General:\n/);
    assert.match(userHelp, /Your account:\n/);
    assert.match(userHelp, /Test IRC:\n/);
    assert.doesNotMatch(userHelp, /Admin:|delete-portal/);
    assert.match(await ask(alice, aliceDm, "delete-portal !x:localhost"), /is for the bridge's admins/);
    const adminHelp = await ask(admin, adminDm, "help");
    assert.match(adminHelp, /Admin:\n(.*\n)*!delete-portal/);
    assert.match(await ask(admin, adminDm, "version"), /^matrix-bridge \d+\.\d+\.\d+, Test IRC \(irc\)/);
  });

  test("admin: the portal list, alice's connection, a reconnect of the bot", async () => {
    assert.match(await ask(admin, adminDm, "portals"), new RegExp(`portal ${portal} ↔ #ops`));
    assert.match(await ask(admin, adminDm, "connection @alice:localhost"), /^@alice:localhost: CONNECTED/);
    assert.match(await ask(admin, adminDm, "reconnect bot"), /Reconnecting the bridge's own connection/);
    await carol.waitFor(
      (e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === "#ops",
      30_000,
    );
    await eventually(async () => assert.equal((await state()).state_event, "CONNECTED"), 30_000);
  });

  test("the room directory finds the channel through Synapse, and the portal is published", async () => {
    const protocols = await alice.request<
      Record<string, { instances: { network_id: string; instance_id: string }[] }>
    >("GET", "/_matrix/client/v3/thirdparty/protocols");
    const instance = protocols["irc"]?.instances[0];
    assert.equal(instance?.network_id, "irc");
    const locations = await alice.request<{ alias: string }[]>(
      "GET",
      "/_matrix/client/v3/thirdparty/location/irc",
      undefined,
      { channel: "#ops" },
    );
    assert.deepEqual(
      locations.map((l) => l.alias),
      [`#irc_#ops:${stack.synapse.serverName}`],
    );
    // The server's own list is up to Synapse's room_list_publication_rules (admins only by default); the network's
    // list is the application service's, which Element's "Explore rooms → network" shows.
    const network = await alice.request<{ chunk: { room_id: string }[] }>(
      "POST",
      "/_matrix/client/v3/publicRooms",
      {
        third_party_instance_id: instance?.instance_id,
      },
    );
    assert.ok(network.chunk.some((r) => r.room_id === portal));
  });

  test("admin: delete-portal makes the bot and ghosts leave; the alias then leads to a new portal", async () => {
    assert.match(await ask(admin, adminDm, `delete-portal ${portal}`), /^Deleted the portal/);
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === bot() && e.content["membership"] === "leave",
      { roomId: portal },
    );
    assert.doesNotMatch(await ask(admin, adminDm, "portals"), new RegExp(portal));
    const fresh = await alice.join(`#irc_#ops:${stack.synapse.serverName}`);
    assert.notEqual(fresh, portal);
  });
});
