import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MatrixEphemeral } from "../../src/bridge/matrix-ephemeral.ts";
import { Naming } from "../../src/bridge/naming.ts";
import { NetworkDoor } from "../../src/bridge/network-door.ts";
import type { OutgoingParts } from "../../src/bridge/outgoing-parts.ts";
import type { Puppets } from "../../src/bridge/puppets.ts";
import { type RemoteUserId, remoteUserId, type UserId } from "../../src/ids.ts";
import type { MatrixPresence, NetworkPlugin } from "../../src/network.ts";
import type { BridgeStore } from "../../src/store/store.ts";
import { captureLogs } from "../matrix/helpers.ts";

const naming = new Naming({
  domain: "example.org",
  botLocalpart: "testnetbot",
  ghostTemplate: "testnet_{id}",
  aliasTemplate: "testnet_{id}",
});

/** An ephemeral handler whose network records presence, with `identities` as the users' remote identities. */
function setUp(identities: Record<string, string>, allows: (userId: UserId) => boolean = () => true) {
  const sent: MatrixPresence[] = [];
  const network = {
    info: { displayName: "Test network" },
    sendPresence: async (presence: MatrixPresence) => {
      sent.push(presence);
    },
  } as unknown as NetworkPlugin;
  const puppets = {
    identityOf: async (userId: UserId): Promise<RemoteUserId | null> => {
      const id = identities[userId];
      return id === undefined ? null : remoteUserId(id);
    },
  } as unknown as Puppets;
  const door = new NetworkDoor({
    network,
    stopping: new AbortController().signal,
    retryDelaysMs: [],
    logger: captureLogs().logger,
    tell: async () => undefined,
    onBridged: () => undefined,
    onFailed: () => undefined,
  });
  // Presence belongs to no room, so nothing of a room's (its link, the sender's name there) is asked for.
  const parts = {} as OutgoingParts;
  const ephemeral = new MatrixEphemeral({ store: {} as BridgeStore, door, parts, puppets, naming, allows });
  return { sent, ephemeral };
}

describe("Matrix presence", () => {
  it("goes to the network as the user's remote identity, with its status message", async () => {
    const { sent, ephemeral } = setUp({ "@alice:example.org": "alice-remote" });
    await ephemeral.handle(
      {
        type: "m.presence",
        sender: "@alice:example.org",
        content: { presence: "unavailable", status_msg: "lunch" },
      },
      Date.now(),
    );
    await ephemeral.handle(
      {
        type: "m.presence",
        sender: "@alice:example.org",
        content: { presence: "online" },
      },
      Date.now(),
    );
    assert.deepEqual(sent, [
      {
        sender: "@alice:example.org",
        remoteUserId: "alice-remote",
        state: "unavailable",
        statusMsg: "lunch",
      },
      { sender: "@alice:example.org", remoteUserId: "alice-remote", state: "online" },
    ]);
  });

  it("is ignored for users without a remote identity, the bridge's own users and unknown states", async () => {
    const { sent, ephemeral } = setUp({
      "@alice:example.org": "alice-remote",
      "@testnet_bob:example.org": "bob",
    });
    await ephemeral.handle(
      {
        type: "m.presence",
        sender: "@carol:example.org",
        content: { presence: "online" },
      },
      Date.now(),
    );
    await ephemeral.handle(
      {
        type: "m.presence",
        sender: "@testnet_bob:example.org",
        content: { presence: "online" },
      },
      Date.now(),
    );
    await ephemeral.handle(
      {
        type: "m.presence",
        sender: "@alice:example.org",
        content: { presence: "busy" },
      },
      Date.now(),
    );
    await ephemeral.handle(
      { type: "m.presence", sender: "not a user", content: { presence: "online" } },
      Date.now(),
    );
    assert.deepEqual(sent, []);
  });
});
