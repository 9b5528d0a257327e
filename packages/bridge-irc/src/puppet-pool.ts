// Matrix users' own IRC connections (puppets): one per Matrix user, made on first need, with the nick the user chose
// (or one from the template), collisions resolved by the server's answers, a cap beyond which users are relayed by
// the bot, and an idle timeout after which a puppet nobody used quits until it is needed again.

import { type Logger, localpartOf, type UserId } from "bridge-core";
import { sanitizeNick } from "./formatting/lines.ts";
import { ircLower } from "./formatting/mentions.ts";
import { type ConnectionOptions, type Credentials, IrcConnection } from "./irc-connection.ts";

/** Where the users' own choices come from (the plugin's storage, in the bridge). */
export interface PuppetChoices {
  nick(userId: UserId): Promise<string | undefined>;
  credentials(userId: UserId): Promise<Credentials | undefined>;
}

export interface PuppetPoolOptions {
  server: Omit<ConnectionOptions, "nick" | "username" | "realname" | "credentials">;
  nickTemplate: string;
  maxConnections: number;
  /** 0 or absent: puppets stay connected however long they are unused. */
  idleTimeoutMs?: number;
  /** New connections started per second, however many users need one at once; absent: no limit. */
  connectionsPerSecond?: number;
  /** Absent: every puppet gets the template's nick and logs in nowhere. */
  choices?: PuppetChoices;
  logger?: Logger;
  /** Called with the number of registered puppet connections whenever it may have changed. */
  onCountChange?: (connected: number) => void;
  /** Called whenever a user's puppet connection changes state (connected, lost, failed, closed). */
  onState?: (userId: UserId, state: PuppetState, reason?: string) => void;
  /** Called once for each new puppet connection, after it registered. */
  onConnection?: (userId: UserId, connection: IrcConnection) => void;
  /** Makes the connections; tests put a fake server behind them. */
  createConnection?: (options: ConnectionOptions) => IrcConnection;
}

/**
 * How long a nick a puppet just left (by quitting or changing it) still counts as ours: the bot sees the QUIT or
 * NICK on its own connection, possibly after the puppet's, and must not bridge it as an IRC user leaving.
 */
const FORMER_NICK_MS = 60_000;

/** The username (ident) every puppet connects with; lines from it, at the bridge's host, are the bridge's own. */
export const PUPPET_USERNAME = "matrix";

export type PuppetState =
  | "CONNECTING"
  | "CONNECTED"
  | "TRANSIENT_DISCONNECT"
  | "UNKNOWN_ERROR"
  | "LOGGED_OUT";

export class PuppetPool {
  private readonly options: PuppetPoolOptions;
  private readonly connections = new Map<UserId, IrcConnection>();
  private readonly pending = new Map<UserId, Promise<IrcConnection>>();
  private readonly idleTimers = new Map<UserId, NodeJS.Timeout>();
  /** The nicks users chose (`nick`) as read from storage; null for none, so storage is read once per user. */
  private readonly chosenNicks = new Map<UserId, string | null>();
  /** The last nick each user's puppet had, kept after it disconnects: mentions of it still mean that user. */
  private readonly lastNicks = new Map<UserId, string>();
  /** Lower-case nicks a puppet just left → until when they count as ours. */
  private readonly formerNicks = new Map<string, number>();
  /** When the next new connection may start (performance.now() ms), spacing them by the connection rate. */
  private nextConnectAt = 0;

  constructor(options: PuppetPoolOptions) {
    this.options = options;
  }

  /** Puppet connections, up or reconnecting. */
  get size(): number {
    return this.connections.size;
  }

  /** Puppet connections registered with the server right now. */
  get connectedCount(): number {
    let count = 0;
    for (const connection of this.connections.values()) if (connection.isRegistered) count++;
    return count;
  }

  /** The nick a user's puppet has, or will ask for: their own choice (see loadChosenNick), else the template's. */
  nickFor(userId: UserId): string {
    return this.connections.get(userId)?.nick ?? this.chosenNicks.get(userId) ?? this.templateNick(userId);
  }

  /** Reads the nick the user chose from storage, so that nickFor knows it. */
  async loadChosenNick(userId: UserId): Promise<void> {
    if (this.chosenNicks.has(userId)) return;
    const nick = await this.options.choices?.nick(userId);
    if (!this.chosenNicks.has(userId)) this.chosenNicks.set(userId, nick ?? null);
  }

  /** The user chose a nick (already stored by the caller). */
  setChosenNick(userId: UserId, nick: string): void {
    this.chosenNicks.set(userId, nick);
  }

  templateNick(userId: UserId): string {
    return sanitizeNick(this.options.nickTemplate.replace("{localpart}", localpartOf(userId)));
  }

  /** The nick a user is known by on IRC without asking storage (for mentions), if any. */
  knownNickOf(userId: UserId): string | undefined {
    return this.connections.get(userId)?.nick ?? this.lastNicks.get(userId);
  }

  /**
   * Lower-case nick → user id, of every puppet connected now, and of closed ones whose nick `taken` says nobody on
   * IRC has since taken: mentions of them mean their Matrix users.
   */
  knownNicks(taken: (lowerNick: string) => boolean = () => false): Map<string, UserId> {
    const nicks = new Map<string, UserId>();
    for (const [userId, nick] of this.lastNicks) {
      const lower = ircLower(nick);
      if (!this.connections.has(userId) && !taken(lower)) nicks.set(lower, userId);
    }
    for (const [userId, connection] of this.connections) nicks.set(ircLower(connection.nick), userId);
    return nicks;
  }

  /** Whether a user can have a puppet: they have one, or the cap leaves room for one more. */
  canHave(userId: UserId): boolean {
    return (
      this.connections.has(userId) ||
      this.pending.has(userId) ||
      this.connections.size + this.pending.size < this.options.maxConnections
    );
  }

  get(userId: UserId): IrcConnection | undefined {
    return this.connections.get(userId);
  }

  /** Users with a puppet connection, up or reconnecting. */
  users(): UserId[] {
    return [...this.connections.keys()];
  }

  isPuppetNick(nick: string): boolean {
    if (this.isConnectedNick(nick)) return true;
    const lower = ircLower(nick);
    const until = this.formerNicks.get(lower);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.formerNicks.delete(lower);
    return false;
  }

  /** Counts `nick` as a puppet's for a while, ahead of a change the bot may see first. */
  expectNick(nick: string): void {
    this.formerNicks.set(ircLower(nick), Date.now() + FORMER_NICK_MS);
  }

  /** Takes back `expectNick` for a nick change the server refused, so that whoever has the nick is bridged again. */
  forgetNick(nick: string): void {
    if (!this.isConnectedNick(nick)) this.formerNicks.delete(ircLower(nick));
  }

  private isConnectedNick(nick: string): boolean {
    const lower = ircLower(nick);
    for (const connection of this.connections.values()) if (ircLower(connection.nick) === lower) return true;
    return false;
  }

  /** The user's connected puppet, connecting it first if needed. Counts as activity for the idle timeout. */
  async ensure(userId: UserId): Promise<IrcConnection> {
    this.touch(userId);
    const existing = this.connections.get(userId);
    if (existing) return existing;
    const pending = this.pending.get(userId);
    if (pending) return pending;
    const connecting = this.connect(userId).finally(() => this.pending.delete(userId));
    this.pending.set(userId, connecting);
    return connecting;
  }

  /** Matrix activity of the user: their puppet's idle time starts again. */
  touch(userId: UserId): void {
    const idleTimeoutMs = this.options.idleTimeoutMs ?? 0;
    if (idleTimeoutMs <= 0) return;
    clearTimeout(this.idleTimers.get(userId));
    const timer = setTimeout(() => this.idle(userId), idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(userId, timer);
  }

  private idle(userId: UserId): void {
    this.idleTimers.delete(userId);
    const connection = this.connections.get(userId);
    if (!connection) {
      if (this.pending.has(userId)) this.touch(userId);
      return;
    }
    // Lines still waiting for an outage to end are activity too: wait for them to go out.
    if (connection.queued > 0) {
      this.touch(userId);
      return;
    }
    this.options.logger?.info("puppet idle; disconnecting it until it is needed again", { userId });
    this.disconnect(userId, "Idle");
  }

  private async connect(userId: UserId): Promise<IrcConnection> {
    const [credentials] = await Promise.all([
      this.options.choices?.credentials(userId),
      this.loadChosenNick(userId),
      this.connectTurn(),
    ]);
    const nick = this.nickFor(userId);
    const create = this.options.createConnection ?? ((o: ConnectionOptions) => new IrcConnection(o));
    const connection = create({
      ...this.options.server,
      nick,
      username: PUPPET_USERNAME,
      realname: userId,
      ...(credentials && { credentials }),
    });
    this.watch(userId, connection);
    this.options.onState?.(userId, "CONNECTING");
    try {
      await connection.connect();
    } catch (err) {
      connection.removeAllListeners();
      connection.quit();
      this.options.onState?.(userId, "UNKNOWN_ERROR", (err as Error).message);
      throw new Error(`could not connect ${userId} to IRC: ${(err as Error).message}`);
    }
    this.options.onState?.(userId, "CONNECTED");
    this.connections.set(userId, connection);
    this.lastNicks.set(userId, connection.nick);
    this.countChanged();
    this.options.onConnection?.(userId, connection);
    return connection;
  }

  /**
   * Waits for this connection's turn: starts are spaced evenly at the configured rate, so that users of many rooms
   * connect side by side without the host opening connections faster than the server lets it.
   */
  private async connectTurn(): Promise<void> {
    const rate = this.options.connectionsPerSecond;
    if (rate === undefined) return;
    const now = performance.now();
    const startAt = Math.max(now, this.nextConnectAt);
    this.nextConnectAt = startAt + 1000 / rate;
    if (startAt > now) await new Promise((resolve) => setTimeout(resolve, startAt - now));
  }

  private watch(userId: UserId, connection: IrcConnection): void {
    connection.on("down", () => {
      this.options.logger?.warn("puppet lost its IRC connection; reconnecting", { userId });
      this.options.onState?.(
        userId,
        "TRANSIENT_DISCONNECT",
        "lost the connection to the IRC server; reconnecting",
      );
      this.countChanged();
    });
    connection.on("reconnecting", (e: { attempt: number; waitMs: number }) =>
      this.options.logger?.debug("puppet reconnecting", { userId, attempt: e.attempt, waitMs: e.waitMs }),
    );
    connection.on("up", (e: { reconnect: boolean; downtimeMs?: number; sent: number }) => {
      if (!e.reconnect) return;
      this.options.logger?.info("puppet reconnected to IRC", {
        userId,
        nick: connection.nick,
        downtimeMs: e.downtimeMs,
        sentAfterOutage: e.sent,
      });
      this.lastNicks.set(userId, connection.nick);
      this.options.onState?.(userId, "CONNECTED");
      this.countChanged();
    });
    connection.on("logged in", (e: { account?: string; method: string }) =>
      this.options.logger?.info("puppet logged in to its services account", {
        userId,
        account: e.account,
        method: e.method,
      }),
    );
    connection.on("nick", (newNick: string, oldNick: string) => {
      this.expectNick(oldNick);
      this.lastNicks.set(userId, newNick);
    });
  }

  private countChanged(): void {
    this.options.onCountChange?.(this.connectedCount);
  }

  /** Closes a user's puppet; false when they had none. */
  disconnect(userId: UserId, reason?: string): boolean {
    clearTimeout(this.idleTimers.get(userId));
    this.idleTimers.delete(userId);
    const connection = this.connections.get(userId);
    if (!connection) return false;
    this.expectNick(connection.nick);
    connection.quit(reason);
    connection.removeAllListeners();
    this.connections.delete(userId);
    this.options.onState?.(userId, "LOGGED_OUT", reason);
    this.countChanged();
    return true;
  }

  disconnectAll(reason: string): void {
    for (const userId of [...this.connections.keys()]) this.disconnect(userId, reason);
  }
}
