// The bridge bot's commands. In the user's management room (the DM with the bot) a command needs no prefix; in a
// bridged room it must start with the prefix (`!ping`), so ordinary chat is never mistaken for one.

import { type Command, type CommandContext, CommandUsageError } from "../network-commands.ts";

export const ADMIN_SECTION = "Admin";
const GENERAL_SECTION = "General";

export interface ParsedCommand {
  name: string;
  args: string[];
  /** See CommandContext.text. */
  text: string;
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
    if (command.admin === true && context.isAdmin !== true) {
      await context.reply(`${this.prefix}${command.name} is for the bridge's admins.`);
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

  /** The commands `isAdmin` may run, by section (General first, Admin last), each sorted by name. */
  helpText(isAdmin = false): string {
    const sections = new Map<string, Command[]>();
    for (const command of this.commands.values()) {
      if (command.admin === true && !isAdmin) continue;
      const section = command.admin === true ? ADMIN_SECTION : (command.section ?? GENERAL_SECTION);
      sections.set(section, [...(sections.get(section) ?? []), command]);
    }
    const order = (name: string) => (name === GENERAL_SECTION ? 0 : name === ADMIN_SECTION ? 2 : 1);
    const blocks = [...sections]
      .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
      .map(([name, commands]) => {
        const lines = commands
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((c) => `${this.prefix}${c.name}${c.usage ? ` ${c.usage}` : ""} — ${c.summary}`);
        return `${name}:\n${lines.join("\n")}`;
      });
    return `Commands (the "${this.prefix}" prefix is optional in this DM):\n\n${blocks.join("\n\n")}`;
  }
}
