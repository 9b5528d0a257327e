// Matrix → remote: what Matrix users with a remote identity do to a bridged room itself (set its topic or name, give
// power, kick or ban a remote user, join or leave), done on the network as their puppet, which needs their rights
// there. Relayed users have no such rights, so theirs stay on Matrix.

import type { RemoteUserId, UserId } from "../ids.ts";
import type { SendAs } from "../network.ts";
import type { MatrixEventJson, RoomLink } from "../store/store.ts";
import { obj, str } from "./matrix-content.ts";
import type { NetworkDoor } from "./network-door.ts";
import type { OutgoingParts } from "./outgoing-parts.ts";
import type { Puppets } from "./puppets.ts";

export class MatrixRoomActions {
  private readonly door: NetworkDoor;
  private readonly parts: OutgoingParts;
  private readonly puppets: Puppets;

  constructor(deps: { door: NetworkDoor; parts: OutgoingParts; puppets: Puppets }) {
    this.door = deps.door;
    this.parts = deps.parts;
    this.puppets = deps.puppets;
  }

  private async puppetOf(sender: UserId): Promise<SendAs | null> {
    const remoteUserId = await this.puppets.identityOf(sender);
    return remoteUserId === null ? null : { kind: "puppet", remoteUserId };
  }

  /** A topic or name set by a Matrix user. */
  async roomChange(
    link: RoomLink,
    sender: UserId,
    event: MatrixEventJson,
    receivedAt: number,
  ): Promise<void> {
    if (!this.door.has("handleRoomChange")) return;
    const content = obj(event["content"]);
    const change =
      event.type === "m.room.topic"
        ? { topic: str(content["topic"]) ?? "" }
        : { name: str(content["name"]) ?? "" };
    const as = await this.puppetOf(sender);
    if (as === null) return;
    const what = event.type === "m.room.topic" ? "topic change" : "name change";
    await this.door.handleRoomChange(
      { roomId: link.roomId, sender, type: event.type, what, receivedAt },
      { ...(await this.parts.side(link, sender, as)), ...change },
    );
  }

  /** Whether the network takes power levels at all, before they are worked out. */
  get takesPowerLevels(): boolean {
    return this.door.has("handlePowerLevels");
  }

  /** Power levels a Matrix user gave remote users: the network changes their standing. */
  async powerLevels(
    link: RoomLink,
    sender: UserId,
    changes: { user: RemoteUserId; level: number }[],
    receivedAt: number,
  ): Promise<void> {
    if (!this.door.has("handlePowerLevels")) return;
    const as = await this.puppetOf(sender);
    if (as === null) return;
    await this.door.handlePowerLevels(
      { roomId: link.roomId, sender, type: "m.room.power_levels", what: "power level change", receivedAt },
      { ...(await this.parts.side(link, sender, as)), changes },
    );
  }

  /** A Matrix user kicked or banned a ghost: the network removes the remote user, if the user's puppet may. */
  async kick(
    link: RoomLink,
    sender: UserId,
    target: RemoteUserId,
    reason: string | undefined,
    ban: boolean,
  ): Promise<void> {
    if (!this.door.has("handleKick")) return;
    const as = await this.puppetOf(sender);
    if (as === null) return;
    const type = ban ? "ban" : "kick";
    await this.door.handleKick(
      { roomId: link.roomId, sender, type, what: type, receivedAt: Date.now() },
      { ...(await this.parts.side(link, sender, as)), target, ban, ...(reason !== undefined && { reason }) },
    );
  }

  /** A Matrix user joined or left the room: their puppet follows, when they have one. */
  async membership(link: RoomLink, userId: UserId, membership: "join" | "leave"): Promise<void> {
    if (!this.door.has("handleMembership")) return;
    const as = await this.puppetOf(userId);
    if (as === null) return;
    await this.door.handleMembership(
      {
        roomId: link.roomId,
        sender: userId,
        type: "m.room.member",
        what: membership,
        receivedAt: Date.now(),
      },
      { ...(await this.parts.side(link, userId, as)), membership },
    );
  }
}
