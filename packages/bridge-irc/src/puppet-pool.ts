// Matrix users' own IRC connections (puppets): one per Matrix user, made on first need, with a nick from the
// template, collisions resolved by the server's answers, and a cap beyond which users are relayed by the bot.

import { localpartOf, type UserId } from "bridge-core";
import { sanitizeNick } from "./formatting/lines.ts";
import { type ConnectionOptions, IrcConnection } from "./irc-connection.ts";

export class PuppetPool {
  private readonly connections = new Map<UserId, IrcConnection>();
  private readonly pending = new Map<UserId, Promise<IrcConnection>>();
  private readonly server: Omit<ConnectionOptions, "nick" | "username" | "realname">;
  private readonly nickTemplate: string;
  private readonly maxConnections: number;
  private readonly onConnection: (userId: UserId, connection: IrcConnection) => void;

  constructor(options: {
    server: Omit<ConnectionOptions, "nick" | "username" | "realname">;
    nickTemplate: string;
    maxConnections: number;
    onConnection: (userId: UserId, connection: IrcConnection) => void;
  }) {
    this.server = options.server;
    this.nickTemplate = options.nickTemplate;
    this.maxConnections = options.maxConnections;
    this.onConnection = options.onConnection;
  }

  get size(): number {
    return this.connections.size;
  }

  /** The nick a user's puppet has, or will be given. */
  nickFor(userId: UserId): string {
    return (
      this.connections.get(userId)?.nick ??
      sanitizeNick(this.nickTemplate.replace("{localpart}", localpartOf(userId)))
    );
  }

  /** Whether a user can have a puppet: they have one, or the cap leaves room for one more. */
  canHave(userId: UserId): boolean {
    return (
      this.connections.has(userId) ||
      this.pending.has(userId) ||
      this.connections.size + this.pending.size < this.maxConnections
    );
  }

  get(userId: UserId): IrcConnection | undefined {
    return this.connections.get(userId);
  }

  isPuppetNick(nick: string): boolean {
    const lower = nick.toLowerCase();
    for (const connection of this.connections.values())
      if (connection.nick.toLowerCase() === lower) return true;
    return false;
  }

  /** The user's connected puppet, connecting it first if needed. */
  async ensure(userId: UserId): Promise<IrcConnection> {
    const existing = this.connections.get(userId);
    if (existing) return existing;
    const pending = this.pending.get(userId);
    if (pending) return pending;
    const connecting = this.connect(userId).finally(() => this.pending.delete(userId));
    this.pending.set(userId, connecting);
    return connecting;
  }

  private async connect(userId: UserId): Promise<IrcConnection> {
    const connection = new IrcConnection({
      ...this.server,
      nick: this.nickFor(userId),
      username: "matrix",
      realname: userId,
    });
    try {
      await connection.connect();
    } catch (err) {
      connection.quit();
      throw new Error(`could not connect ${userId} to IRC: ${(err as Error).message}`);
    }
    this.connections.set(userId, connection);
    this.onConnection(userId, connection);
    return connection;
  }

  disconnect(userId: UserId, reason?: string): void {
    this.connections.get(userId)?.quit(reason);
    this.connections.delete(userId);
  }

  disconnectAll(reason: string): void {
    for (const userId of [...this.connections.keys()]) this.disconnect(userId, reason);
  }
}
