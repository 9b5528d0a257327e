// The bridge's state as clients and dashboards read it: the `com.beeper.bridge_state` vocabulary the mautrix bridges
// publish (STARTING, CONNECTED, TRANSIENT_DISCONNECT, BAD_CREDENTIALS, UNKNOWN_ERROR, …), kept live from what the
// network plugin reports about each of its connections (the bridge's own, and each Matrix user's login or puppet) and
// from whether the homeserver answers. It also drives /health, so that a disconnected network or an unreachable
// homeserver turns the answer to 503 while it lasts, not only at shutdown.

import type { UserId } from "../ids.ts";
import type { ConnectionState, ConnectionStateReport } from "../network-remote-events.ts";
import type { HealthState } from "./health.ts";

/** The bridge as a whole: STARTING until it runs, then the state of its own network connection. */
export type GlobalStateEvent = "STARTING" | "STOPPING" | ConnectionState;

/** One connection's state as /bridge_state and the bot's answers show it. */
export interface ConnectionStatus {
  state_event: ConnectionState;
  /** Seconds since the epoch this state began (mautrix's `timestamp`). */
  timestamp: number;
  /** A short machine-readable word for the cause, where there is one. */
  error?: string;
  /** What happened, in words a user can act on. */
  message?: string;
  /** Which of several servers this connection is to (multi-server IRC). */
  instance?: string;
}

export interface BridgeStateJson {
  state_event: GlobalStateEvent;
  timestamp: number;
  /** How long a reader may trust this answer, in seconds (mautrix's `ttl`). */
  ttl: number;
  source: "bridge";
  error?: string;
  message?: string;
  homeserver: { reachable: boolean; since: number; message?: string };
  /** The bridge's own connections: one per server. */
  bot: Record<string, ConnectionStatus>;
  /** How many users' connections are in each state (user ids are shown only to the user and to admins). */
  remote_counts: Partial<Record<ConnectionState, number>>;
}

/** The states in which a connection does not carry messages: a user is told when theirs enters one. */
export const BAD_STATES: ReadonlySet<ConnectionState> = new Set([
  "TRANSIENT_DISCONNECT",
  "BAD_CREDENTIALS",
  "UNKNOWN_ERROR",
]);

const STATE_TTL_SECONDS = 60;
const BOT = "bot";

export type UserStateListener = (
  userId: UserId,
  previous: ConnectionStatus | undefined,
  current: ConnectionStatus,
) => void;

export class BridgeStates {
  private readonly health: HealthState;
  private readonly now: () => number;
  private readonly bots = new Map<string, ConnectionStatus>();
  private readonly users = new Map<string, ConnectionStatus>();
  private phase: "starting" | "running" | "stopping" = "starting";
  private homeserverState: { reachable: boolean; since: number; message?: string };
  private readonly listeners: UserStateListener[] = [];

  constructor(options: { health: HealthState; now?: () => number }) {
    this.health = options.health;
    this.now = options.now ?? Date.now;
    this.homeserverState = { reachable: false, since: this.seconds(), message: "not reached yet" };
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  onUserChange(listener: UserStateListener): void {
    this.listeners.push(listener);
  }

  /** What the plugin said about one of its connections (NetworkContext.connectionState). */
  report(report: ConnectionStateReport): void {
    const previous = this.get(report.connection, report.instance);
    const status: ConnectionStatus = {
      state_event: report.state,
      // An unchanged state keeps its start, so the timestamp says how long it has held.
      timestamp: previous?.state_event === report.state ? previous.timestamp : this.seconds(),
      ...(report.error !== undefined && { error: report.error }),
      ...(report.reason !== undefined && { message: report.reason }),
      ...(report.instance !== undefined && { instance: report.instance }),
    };
    if (report.connection === BOT) {
      this.bots.set(report.instance ?? "", status);
      // A plugin of several servers reports each on its own; the single "network" part then stands for nothing.
      if (report.instance !== undefined && !this.bots.has("")) this.health.delete("network");
      const component = report.instance === undefined ? "network" : `network:${report.instance}`;
      this.health.set(component, report.state === "CONNECTED", describe(status));
      return;
    }
    const userId = report.connection;
    const key = userKey(userId, report.instance);
    // A logout ends the connection for good: nothing is kept, and it is no news to the user who asked for it.
    if (report.state === "LOGGED_OUT") this.users.delete(key);
    else this.users.set(key, status);
    if (previous?.state_event === status.state_event && previous.message === status.message) return;
    for (const listener of this.listeners) listener(userId, previous, status);
  }

  /** Whether the homeserver answered the bridge's last request (any HTTP answer below 500 counts). */
  homeserver(reachable: boolean, message?: string): void {
    if (reachable !== this.homeserverState.reachable) {
      this.homeserverState = {
        reachable,
        since: this.seconds(),
        ...(message !== undefined && { message }),
      };
    } else if (message !== undefined) this.homeserverState.message = message;
    else delete this.homeserverState.message;
    this.health.set("homeserver", reachable, reachable ? undefined : (message ?? "unreachable"));
  }

  get homeserverReachable(): boolean {
    return this.homeserverState.reachable;
  }

  started(): void {
    this.phase = "running";
  }

  stopping(): void {
    this.phase = "stopping";
  }

  get running(): boolean {
    return this.phase === "running";
  }

  /** The user's connections (one per server), for their own `status` and an admin's `connection`. */
  userConnections(userId: UserId): ConnectionStatus[] {
    const prefix = `${userId}\n`;
    return [...this.users].filter(([key]) => key.startsWith(prefix)).map(([, status]) => status);
  }

  get(connection: "bot" | UserId, instance?: string): ConnectionStatus | undefined {
    return connection === BOT
      ? this.bots.get(instance ?? "")
      : this.users.get(userKey(connection as UserId, instance));
  }

  snapshot(): BridgeStateJson {
    const global = this.globalState();
    const remote_counts: Partial<Record<ConnectionState, number>> = {};
    for (const status of this.users.values())
      remote_counts[status.state_event] = (remote_counts[status.state_event] ?? 0) + 1;
    const bot: Record<string, ConnectionStatus> = {};
    for (const [instance, status] of this.bots) bot[instance === "" ? BOT : instance] = { ...status };
    return {
      ...global,
      ttl: STATE_TTL_SECONDS,
      source: "bridge",
      homeserver: { ...this.homeserverState },
      bot,
      remote_counts,
    };
  }

  private globalState(): Pick<BridgeStateJson, "state_event" | "timestamp" | "error" | "message"> {
    if (this.phase === "starting") return { state_event: "STARTING", timestamp: this.seconds() };
    if (this.phase === "stopping") return { state_event: "STOPPING", timestamp: this.seconds() };
    if (!this.homeserverState.reachable) {
      return {
        state_event: "TRANSIENT_DISCONNECT",
        timestamp: this.homeserverState.since,
        error: "homeserver-unreachable",
        message: this.homeserverState.message ?? "the homeserver does not answer",
      };
    }
    // The worst of the bot's connections speaks for the bridge; none reported yet: connecting.
    const worst = [...this.bots.values()].sort((a, b) => rank(b.state_event) - rank(a.state_event))[0];
    if (worst === undefined) return { state_event: "CONNECTING", timestamp: this.seconds() };
    const { state_event, timestamp, error, message } = worst;
    return {
      state_event,
      timestamp,
      ...(error !== undefined && { error }),
      ...(message !== undefined && { message }),
    };
  }
}

function userKey(userId: UserId, instance: string | undefined): string {
  return `${userId}\n${instance ?? ""}`;
}

const RANKS: Record<ConnectionState, number> = {
  CONNECTED: 0,
  LOGGED_OUT: 1,
  CONNECTING: 2,
  TRANSIENT_DISCONNECT: 3,
  UNKNOWN_ERROR: 4,
  BAD_CREDENTIALS: 5,
};

function rank(state: ConnectionState): number {
  return RANKS[state];
}

/** One line for health details and the bot's answers: `TRANSIENT_DISCONNECT (connection lost)`. */
export function describe(status: ConnectionStatus): string {
  return status.message === undefined ? status.state_event : `${status.state_event} (${status.message})`;
}
