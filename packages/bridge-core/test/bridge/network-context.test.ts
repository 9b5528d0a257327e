import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  makeNetworkContext,
  offlineNetworkContext,
  type StartedParts,
} from "../../src/bridge/network-context.ts";
import type { BridgeConfig } from "../../src/config/schema.ts";
import { parseUserId, remoteRoomId, remoteUserId } from "../../src/ids.ts";
import { Logger } from "../../src/log.ts";
import type { MatrixClient } from "../../src/matrix/client.ts";
import type { PublicLinks } from "../../src/media/public-links.ts";
import type { ConnectionStateReport, RemoteEvents, RemoteMessage } from "../../src/network.ts";
import type { BridgeStore } from "../../src/store/store.ts";

const ALLOWED = parseUserId("@alice:example.org");
const REFUSED = parseUserId("@mallory:example.org");
const MESSAGE: RemoteMessage = {
  roomId: remoteRoomId("#chan"),
  sender: { id: remoteUserId("bob"), displayName: "bob" },
  id: "1" as RemoteMessage["id"],
  text: [{ type: "text", text: "hi" }],
};

/** A context over an in-memory store, and the switch that "starts" the bridge. */
function setUp() {
  const data = new Map<string, unknown>();
  const store = {
    getPluginData: async (key: string) => data.get(key),
    putPluginData: async (key: string, value: unknown) => void data.set(key, value),
    deletePluginData: async (key: string) => void data.delete(key),
    listRoomLinks: async () => [{ remoteRoomId: remoteRoomId("#chan") }],
    listLogins: async () => [ALLOWED, REFUSED].map((userId) => ({ userId, login: {} })),
  } as unknown as BridgeStore;
  const received: RemoteMessage[] = [];
  const remote = { message: async (message: RemoteMessage) => void received.push(message) } as RemoteEvents;
  let parts: StartedParts | null = null;
  const context = makeNetworkContext({
    config: { network: { config: { server: "irc.example" } }, media: {} } as unknown as BridgeConfig,
    logger: Logger.create({ level: "error" }),
    client: {} as MatrixClient,
    publicLinks: {} as PublicLinks,
    started: () => {
      if (parts === null) throw new Error("the bridge is not started");
      return parts;
    },
    allows: (userId) => userId === ALLOWED,
    portalAlias: (id) => `#irc_${id}:example.org`,
    puppetsConnected: () => undefined,
    connectionState: () => undefined,
  });
  const start = () => {
    parts = { store, remote };
  };
  return { context, received, start };
}

describe("network context", () => {
  it("hands the plugin its own settings", () => {
    assert.deepEqual(setUp().context.config, { server: "irc.example" });
  });

  it("rejects calls that reach the store or the pipeline before the start, instead of losing them", async () => {
    const { context } = setUp();
    await assert.rejects(context.storage.get("k"), /not started/);
    await assert.rejects(context.linkedRooms(), /not started/);
    await assert.rejects(context.savedLogins(), /not started/);
    await assert.rejects(context.remote.message(MESSAGE), /not started/);
    assert.throws(() => context.secrets.open(ALLOWED, {}), /not started/);
  });

  it("from the start on, reaches the store and the pipeline, also through what the plugin kept from before", async () => {
    const { context, received, start } = setUp();
    const { message } = context.remote;
    start();
    await context.storage.put("k", 1);
    assert.equal(await context.storage.get("k"), 1);
    await message(MESSAGE);
    assert.deepEqual(received, [MESSAGE]);
    assert.deepEqual(await context.linkedRooms(), ["#chan"]);
    // A user whose permission was taken away is not reconnected.
    assert.deepEqual(
      (await context.savedLogins()).map(({ userId }) => userId),
      [ALLOWED],
    );
  });
});

describe("network connection states", () => {
  it("are scrubbed of credentials before they are logged or reported", () => {
    const lines: string[] = [];
    const logger = Logger.create({ sink: { write: (line) => void lines.push(line) } });
    logger.addSecret("hunter2");
    const reported: ConnectionStateReport[] = [];
    const context = makeNetworkContext({
      config: { network: { config: {} }, media: {} } as unknown as BridgeConfig,
      logger,
      client: {} as MatrixClient,
      publicLinks: {} as PublicLinks,
      started: () => assert.fail("not needed"),
      allows: () => true,
      portalAlias: () => assert.fail("not needed"),
      puppetsConnected: () => undefined,
      connectionState: (report) => void reported.push(report),
    });
    context.connectionState({
      connection: "bot",
      state: "BAD_CREDENTIALS",
      reason: "password hunter2 refused",
    });
    assert.deepEqual(reported, [
      { connection: "bot", state: "BAD_CREDENTIALS", reason: "password [redacted] refused" },
    ]);
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines.join(""), /hunter2/);
  });
});

describe("offline network context", () => {
  it("gives the settings and fails every other call saying why", async () => {
    const context = offlineNetworkContext({ a: 1 }, Logger.create(), "while generating a registration");
    assert.deepEqual(context.config, { a: 1 });
    const why = /not available while generating a registration/;
    await assert.rejects(context.storage.get("k"), why);
    await assert.rejects(context.savedLogins(), why);
    await assert.rejects(context.remote.message(MESSAGE), why);
    await assert.rejects(context.media.upload(new Uint8Array(), "image/png"), why);
    assert.throws(() => context.secrets.seal(ALLOWED, "pw"), why);
  });
});
