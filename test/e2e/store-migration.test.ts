// Moving a bridge from LevelDB to PostgreSQL as an admin would (README, "Moving to PostgreSQL"): a bridge runs on
// LevelDB through real Synapse — a portal made, messages both ways, a user logged in — then is stopped,
// `matrix-bridge migrate-store` copies its store into a new database, the config is switched to PostgreSQL, and the
// bridge started on it still bridges both ways through the portal it made before, with the login still open.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";
import { plainText, type RoomId, richText } from "bridge-core";
import { loadConfig } from "bridge-core/bridge";
import { parse, stringify } from "yaml";
import { type BridgeStack, CLI, startBridgeStack } from "../harness/bridge-stack.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { PostgresCluster } from "../harness/postgres.ts";
import { useRunDir } from "../harness/run-dir.ts";

const run = promisify(execFile);

describe("a bridge moved from LevelDB to PostgreSQL keeps its portals, mappings and logins", () => {
  const runDir = useRunDir("store-migration");
  let cluster: PostgresCluster;
  let stack: BridgeStack;
  let alice: TestClient;
  let dm: RoomId;
  let room: RoomId;
  let migrateOutput = "";
  const bot = () => stack.bridge.naming.botUserId;
  const ghost = () => `@testnet_carol:${stack.synapse.serverName}`;
  const say = (body: string) =>
    stack.world.remote.message({
      roomId: "news" as never,
      sender: stack.world.users.get("carol" as never)!,
      id: stack.world.newMessageId(),
      text: richText(body),
    });

  async function command(text: string): Promise<string> {
    const sent = await alice.sendText(dm, text);
    await alice.waitForEvent((e) => e.event_id === sent, { roomId: dm });
    const seenBefore = alice.eventsSeen(dm).findIndex((e) => e.event_id === sent);
    const reply = await alice.waitForEvent(
      (e) =>
        e.sender === bot() &&
        alice.eventsSeen(dm).indexOf(e) > seenBefore &&
        e.content["msgtype"] === "m.notice",
      { roomId: dm },
    );
    return String(reply.content["body"]);
  }

  /** One message each way through the portal, arriving in the room alice joined before the move. */
  async function bothWays(tag: string): Promise<void> {
    await say(`remote ${tag}`);
    await alice.waitForEvent((e) => e.sender === ghost() && e.content["body"] === `remote ${tag}`, {
      roomId: room,
    });
    await alice.sendText(room, `matrix ${tag}`);
    const got = await stack.world.waitForMessage((m) => plainText(m.text) === `matrix ${tag}`, 30_000);
    assert.deepEqual(
      got.as,
      { kind: "puppet", remoteUserId: "alice-remote" },
      "sent as the logged-in identity",
    );
  }

  before(async () => {
    cluster = await PostgresCluster.start(runDir.path);
    runDir.addTeardown(() => cluster.stop());
    stack = await startBridgeStack({
      runDir: runDir.path,
      network: {
        rooms: [{ id: "news", name: "News" }],
        users: [{ id: "carol", displayName: "Carol" }],
        accounts: { "alice-remote": "correct horse" },
        automaticIdentities: false,
      },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("on LevelDB: a portal, a login, messages both ways", async () => {
    assert.equal(stack.config.store.type, "leveldb");
    dm = await alice.createDirectMessage(bot());
    await alice.waitForEvent((e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello"), {
      roomId: dm,
    });
    assert.match(await command("login alice-remote correct horse"), /Logged in/);
    await say("hello before the move");
    room = await alice.join(`#testnet_news:${stack.synapse.serverName}`);
    await bothWays("before the move");
  });

  test("migrate-store copies the store and checks every count; the config switched to PostgreSQL", async () => {
    const url = await cluster.createDatabase("moved");
    const before = stack.config;
    await stack.replaceBridge(async () => {
      const { stdout } = await run(process.execPath, [
        CLI,
        "migrate-store",
        "--from",
        before.store.path,
        "--to",
        url,
      ]);
      migrateOutput = stdout;
      const raw = parse(readFileSync(stack.files.configPath, "utf8")) as Record<string, unknown>;
      raw["store"] = { type: "postgres", url, key_file: before.store.keyFile };
      const movedPath = join(runDir.path, "testnet.moved.config.yaml");
      writeFileSync(movedPath, stringify(raw));
      return loadConfig(movedPath);
    });
    process.stdout.write(migrateOutput);
    assert.match(migrateOutput, /Every count matches/);
    assert.match(migrateOutput, /room links: (\d+) in LevelDB, \1 in PostgreSQL/);
    assert.match(migrateOutput, /logins: 1 in LevelDB, 1 in PostgreSQL/);
    assert.ok(!migrateOutput.includes(cluster.secret), "the database password is not printed");
    assert.equal(stack.config.store.type, "postgres");
  });

  test("on PostgreSQL: the same portal bridges both ways, the login still opens, the DM still answers", async () => {
    assert.match(await command("whoami"), /logged in to Test network as alice-remote/);
    await bothWays("after the move");
    const portal = await stack.bridge.store.getRoomLinkByMatrix(room);
    assert.equal(portal?.remoteRoomId, "news", "the portal alice joined before the move");
  });
});
