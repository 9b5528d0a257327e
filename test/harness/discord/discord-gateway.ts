// The emulator's gateway (Discord's WebSocket API, v10, JSON without compression): HELLO, IDENTIFY → READY and a
// GUILD_CREATE per guild of the bot's, heartbeats answered with ACKs, dispatches numbered per session, and RESUME
// after a dropped socket, which replays every event the session missed by sequence before RESUMED.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GatewayDispatchEvents, GatewayOpcodes } from "discord-api-types/v10";
import { type WebSocket, WebSocketServer } from "ws";
import type { DiscordState, GatewayEvent } from "./discord-state.ts";

/** Short, so a test sees a dead connection noticed quickly; discord.js beats at whatever HELLO says. */
const HEARTBEAT_INTERVAL_MS = 5_000;
/** Sessions keep this many events for replay (Discord keeps some minutes' worth). */
const REPLAY_KEPT = 10_000;

interface Session {
  id: string;
  sequence: number;
  /** Dispatched events, kept for RESUME. */
  sent: { s: number; t: string; d: unknown }[];
  socket: WebSocket | null;
}

export interface GatewayCounts {
  identifies: number;
  resumes: number;
  /** Events sent again on resumes. */
  replayed: number;
}

export class DiscordGateway {
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  readonly counts: GatewayCounts = { identifies: 0, resumes: 0, replayed: 0 };

  private readonly state: DiscordState;
  private readonly botToken: string;
  private readonly botId: () => string;
  /** Where clients resume (`resume_gateway_url`). */
  private readonly url: string;

  constructor(state: DiscordState, botToken: string, botId: () => string, url: string) {
    this.state = state;
    this.botToken = botToken;
    this.botId = botId;
    this.url = url;
  }

  /** Takes an HTTP upgrade to `/gateway`. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    let session: Session | null = null;
    send(ws, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: HEARTBEAT_INTERVAL_MS },
      s: null,
      t: null,
    });
    ws.on("message", (raw) => {
      const payload = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> | number | null };
      const d = (typeof payload.d === "object" ? payload.d : null) ?? {};
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          send(ws, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
          return;
        case GatewayOpcodes.Identify:
          if (d["token"] !== this.botToken) return ws.close(4004, "Authentication failed");
          this.counts.identifies++;
          session = this.identify(ws);
          return;
        case GatewayOpcodes.Resume: {
          const resumed = this.sessions.get(String(d["session_id"]));
          if (d["token"] !== this.botToken || resumed === undefined) {
            send(ws, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
            return;
          }
          this.counts.resumes++;
          session = resumed;
          this.resume(resumed, ws, Number(d["seq"]));
          return;
        }
        default:
          return;
      }
    });
    ws.on("close", () => {
      if (session?.socket === ws) session.socket = null;
    });
  }

  private identify(ws: WebSocket): Session {
    const session: Session = { id: this.state.snowflake(), sequence: 0, sent: [], socket: ws };
    this.sessions.set(session.id, session);
    const guilds = this.botGuilds();
    this.dispatchTo(session, {
      t: GatewayDispatchEvents.Ready,
      d: {
        v: 10,
        user: this.state.user(this.botId()),
        guilds: guilds.map((id) => ({ id, unavailable: true })),
        session_id: session.id,
        resume_gateway_url: this.url,
        shard: [0, 1],
        application: { id: this.botId(), flags: 0 },
      },
    });
    for (const id of guilds) this.dispatchTo(session, this.state.guildCreate(id));
    return session;
  }

  private resume(session: Session, ws: WebSocket, seq: number): void {
    session.socket?.terminate();
    session.socket = ws;
    for (const event of session.sent.filter((e) => e.s > seq)) {
      this.counts.replayed++;
      send(ws, { op: GatewayOpcodes.Dispatch, ...event });
    }
    this.dispatchTo(session, { t: GatewayDispatchEvents.Resumed, d: {} });
  }

  private botGuilds(): string[] {
    return [...this.state.guilds.values()].filter((g) => g.members.has(this.botId())).map((g) => g.guild.id);
  }

  /** Sends an event to every session; a session without a socket gets it on its RESUME. */
  dispatch(event: GatewayEvent): void {
    for (const session of this.sessions.values()) this.dispatchTo(session, event);
  }

  private dispatchTo(session: Session, event: GatewayEvent): void {
    const numbered = { s: ++session.sequence, t: event.t, d: event.d };
    session.sent.push(numbered);
    if (session.sent.length > REPLAY_KEPT) session.sent.shift();
    if (session.socket !== null) send(session.socket, { op: GatewayOpcodes.Dispatch, ...numbered });
  }

  /** Cuts every connection without a close frame, as a network failure would; clients then resume. */
  dropConnections(): number {
    let dropped = 0;
    for (const session of this.sessions.values()) {
      if (session.socket === null) continue;
      session.socket.terminate();
      session.socket = null;
      dropped++;
    }
    return dropped;
  }

  connectedSessions(): number {
    return [...this.sessions.values()].filter((s) => s.socket !== null).length;
  }

  close(): void {
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }
}

function send(ws: WebSocket, payload: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
}
