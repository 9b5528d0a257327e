// Third-party lookups (`/_matrix/app/v1/thirdparty/…`): the plugin finds remote rooms and users from fields; the core
// turns them into the portal aliases and ghost user ids clients can use.

import type { ThirdPartyFields } from "../appservice/server.ts";
import type { RoomAlias, UserId } from "../ids.ts";
import type { NetworkPlugin } from "../network.ts";
import type { Naming } from "./naming.ts";

export class ThirdParty {
  private readonly network: NetworkPlugin;
  private readonly naming: Naming;

  constructor(network: NetworkPlugin, naming: Naming) {
    this.network = network;
    this.naming = naming;
  }

  private lookup(protocol: string) {
    return protocol === this.network.info.id ? this.network.thirdParty : undefined;
  }

  async protocol(protocol: string): Promise<unknown | null> {
    return this.lookup(protocol)?.protocol ?? null;
  }

  async locations(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    const rooms = (await this.lookup(protocol)?.findRooms(fields)) ?? [];
    return rooms.map((r) => ({ alias: this.naming.portalAlias(r.id), protocol, fields: r.fields }));
  }

  async users(protocol: string, fields: ThirdPartyFields): Promise<unknown[]> {
    const users = (await this.lookup(protocol)?.findUsers(fields)) ?? [];
    return users.map((u) => ({ userid: this.naming.ghostUserId(u.id), protocol, fields: u.fields }));
  }

  async locationsByAlias(alias: RoomAlias): Promise<unknown[]> {
    const id = this.naming.remoteRoomOf(alias);
    const fields = id === null ? null : await this.network.thirdParty?.roomFields(id);
    return fields ? [{ alias, protocol: this.network.info.id, fields }] : [];
  }

  async usersById(userId: UserId): Promise<unknown[]> {
    const id = this.naming.remoteUserOf(userId);
    const fields = id === null ? null : await this.network.thirdParty?.userFields(id);
    return fields ? [{ userid: userId, protocol: this.network.info.id, fields }] : [];
  }
}
