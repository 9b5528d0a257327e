// Third-party lookups (`/_matrix/app/v1/thirdparty/…`): the plugin finds remote rooms and users from fields; the core
// turns them into the portal aliases and ghost user ids clients can use. Rooms the admin's portal patterns leave out
// are not offered: their aliases lead nowhere.

import type { ThirdPartyFields } from "../appservice/server.ts";
import type { RoomAlias, UserId } from "../ids.ts";
import type { NetworkPlugin } from "../network.ts";
import type { Naming } from "./naming.ts";
import type { PortalPolicy } from "./portal-policy.ts";

export class ThirdParty {
  private readonly network: NetworkPlugin;
  private readonly naming: Naming;
  private readonly policy: PortalPolicy;

  constructor(network: NetworkPlugin, naming: Naming, policy: PortalPolicy) {
    this.network = network;
    this.naming = naming;
    this.policy = policy;
  }

  private lookup(protocol: string) {
    return protocol === this.network.info.id ? this.network.thirdParty : undefined;
  }

  async protocol(protocol: string): Promise<unknown | null> {
    return this.lookup(protocol)?.protocol ?? null;
  }

  async locations(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    const rooms = (await this.lookup(protocol)?.findRooms(fields)) ?? [];
    return rooms
      .filter((r) => this.policy.allows(r.id))
      .map((r) => ({ alias: this.naming.portalAlias(r.id), protocol, fields: r.fields }));
  }

  async users(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    const users = (await this.lookup(protocol)?.findUsers(fields)) ?? [];
    return users.map((u) => ({ userid: this.naming.ghostUserId(u.id), protocol, fields: u.fields }));
  }

  async locationsByAlias(alias: RoomAlias): Promise<unknown[]> {
    const id = this.naming.remoteRoomOf(alias);
    const fields =
      id === null || !this.policy.allows(id) ? null : await this.network.thirdParty?.roomFields(id);
    return fields ? [{ alias, protocol: this.network.info.id, fields }] : [];
  }

  async usersById(userId: UserId): Promise<unknown[]> {
    const id = this.naming.remoteUserOf(userId);
    const fields = id === null ? null : await this.network.thirdParty?.userFields(id);
    return fields ? [{ userid: userId, protocol: this.network.info.id, fields }] : [];
  }
}
