// The bridge bot's commands. In the user's management room (the DM with the bot) a command needs no prefix; in a
// bridged room it must start with the prefix (`!ping`), so ordinary chat is never mistaken for one.

import type { RoomId, UserId } from "../ids.ts";

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
  reply(text: string): Promise<void>;
  /** Redacts the message that held the command (it may hold a password); best effort. */
  hideCommand(): Promise<void>;
}

export interface Command {
  name: string;
  /** `<arg> [optional]`, shown by help and in bad-argument replies. */
  usage?: string;
  summary: string;
  run(context: CommandContext): Promise<void>;
}

export interface ParsedCommand {
  name: string;
  args: string[];
  /** See CommandContext.text. */
  text: string;
}

/** Thrown by a command for a mistake of the user's; the reply quotes it with the command's usage. */
export class CommandUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandUsageError";
  }
}

export class CommandRegistry {
  private readonly commands = new Map<string, Command>();
  private readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  register(command: Command): void {
    if (this.commands.has(command.name)) throw new Error(`command ${command.name} registered twice`);
    this.commands.set(command.name, command);
  }

  /** The command a message body asks for, or null when the body is not a command in this kind of room. */
  parse(body: string, isManagementRoom: boolean): ParsedCommand | null {
    // Only the start is trimmed: the end may be part of a password.
    let line = body.trimStart();
    if (line.startsWith(this.prefix)) line = line.slice(this.prefix.length).trimStart();
    else if (!isManagementRoom) return null;
    const match = /^(\S+)\s*/u.exec(line);
    if (match === null) return null;
    const text = line.slice(match[0].length);
    const args = text.split(/\s+/).filter((word) => word !== "");
    return { name: (match[1] ?? "").toLowerCase(), args, text };
  }

  async run(parsed: ParsedCommand, context: Omit<CommandContext, "args" | "text">): Promise<void> {
    const command = this.commands.get(parsed.name);
    if (!command) {
      await context.reply(
        `Unknown command "${parsed.name}". Send "${this.prefix}help" for the list of commands.`,
      );
      return;
    }
    try {
      await command.run({ ...context, args: parsed.args, text: parsed.text });
    } catch (err) {
      if (!(err instanceof CommandUsageError)) throw err;
      const usage = `${this.prefix}${command.name}${command.usage ? ` ${command.usage}` : ""}`;
      await context.reply(`${err.message}\nUsage: ${usage}`);
    }
  }

  helpText(): string {
    const lines = [...this.commands.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => `${this.prefix}${c.name}${c.usage ? ` ${c.usage}` : ""} — ${c.summary}`);
    return `Commands (the "${this.prefix}" prefix is optional in this DM):\n${lines.join("\n")}`;
  }
}
