// What the bot's commands and the provisioning API ask of the bridge's room linking (bridge/plumbing.ts implements
// it), declared here, below all three, so that neither reaches up into the bridge it is part of.

import type { RemoteRoomId, RoomId, UserId } from "./ids.ts";
import type { RoomLink } from "./store/store.ts";

/** A refusal with the HTTP status and Matrix errcode the provisioning API answers with; the message is for users. */
export class PlumbingError extends Error {
  readonly status: number;
  readonly errcode: string;

  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.name = "PlumbingError";
    this.status = status;
    this.errcode = errcode;
  }

  toJSON(): { errcode: string; error: string } {
    return { errcode: this.errcode, error: this.message };
  }
}

/** Linking Matrix rooms to remote rooms; every refusal is a PlumbingError. */
export interface RoomLinking {
  /** The network's name for users (`IRC`). */
  readonly networkName: string;
  /** The room's links: none, or the one remote room it is bridged to. */
  links(roomId: RoomId): Promise<RoomLink[]>;
  /** The room's links, for a moderator of the room. */
  linksFor(roomId: RoomId, requester: UserId): Promise<RoomLink[]>;
  link(roomId: RoomId, remoteRoomId: RemoteRoomId, requester: UserId): Promise<RoomLink>;
  unlink(roomId: RoomId, requester: UserId): Promise<RoomLink>;
  setRelay(roomId: RoomId, enabled: boolean, requester: UserId): Promise<RoomLink>;
  /** Forgets a link without touching the room. */
  deleteLink(link: RoomLink): Promise<void>;
  /** The bridge's ghosts and bot leave the room. */
  leaveRoom(link: RoomLink): Promise<void>;
}
