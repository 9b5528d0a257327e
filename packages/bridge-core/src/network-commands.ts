// Bot commands a plugin adds beside the core's (NetworkPlugin.commands), part of the plugin contract. The core runs
// them: in the user's DM with the bot without a prefix, in a bridged room with it (`!ping`).

import type { RemoteRoomId, RoomId, UserId } from "./ids.ts";

export interface CommandContext {
  roomId: RoomId;
  sender: UserId;
  /** The words after the command name. */
  args: string[];
  /**
   * Everything after the command name and the spaces that follow it, exactly as typed (runs of spaces, tabs and
   * trailing spaces kept): for an argument whose every character counts, such as a password with spaces.
   */
  text: string;
  isManagementRoom: boolean;
  /** Whether the sender is a bridge admin (`admin` in `bridge.permissions`): admin commands and the full help. */
  isAdmin?: boolean;
  reply(text: string): Promise<void>;
  /** Redacts the message that held the command (it may hold a password); best effort. */
  hideCommand(): Promise<void>;
  /**
   * Finds or makes the portal of a remote room and invites the sender into it (unless they are in it already);
   * resolves with its alias. Rejects with an Error whose message can be shown to the user: the network does not know
   * the room, the admin allows it no portal, or it is bridged into a room of its own (plumbed).
   */
  openPortal(id: RemoteRoomId): Promise<string>;
}

export interface Command {
  name: string;
  /** `<arg> [optional]`, shown by help and in bad-argument replies. */
  usage?: string;
  summary: string;
  /** The heading help lists it under; absent: "General". */
  section?: string;
  /** Only bridge admins may run it, and only they see it in help. */
  admin?: boolean;
  run(context: CommandContext): Promise<void>;
}

/** Thrown by a command for a mistake of the user's; the reply quotes it with the command's usage. */
export class CommandUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandUsageError";
  }
}
