import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Naming } from "../../src/bridge/naming.ts";
import { PortalPolicy } from "../../src/bridge/portal-policy.ts";
import { ThirdParty } from "../../src/bridge/third-party.ts";
import type { RemoteRoomId } from "../../src/ids.ts";
import type { NetworkPlugin } from "../../src/network.ts";

const rooms = ["#matrix-dev", "#secret"] as RemoteRoomId[];
const network = {
  info: { id: "irc" },
  thirdParty: {
    findRooms: async () => rooms.map((id) => ({ id, fields: { channel: id } })),
    roomFields: async (id: RemoteRoomId) => ({ channel: id }),
  },
} as unknown as NetworkPlugin;

describe("third-party lookups", () => {
  it("offer only rooms the portal patterns allow, by search and by alias", async () => {
    const naming = new Naming({
      domain: "example.org",
      botLocalpart: "ircbot",
      ghostTemplate: "irc_{id}",
      aliasTemplate: "irc_{id}",
    });
    const lookups = new ThirdParty(network, naming, new PortalPolicy({ allow: ["#matrix-*"] }));
    const found = (await lookups.locations("irc", {})) as { alias: string }[];
    assert.deepEqual(
      found.map((l) => l.alias),
      [naming.portalAlias(rooms[0]!)],
    );
    assert.deepEqual(await lookups.locationsByAlias(naming.portalAlias(rooms[1]!)), []);
    assert.equal((await lookups.locationsByAlias(naming.portalAlias(rooms[0]!))).length, 1);
  });
});
