// Who of the bridge is in which MUC under which nick: the bot (which listens for the room) and the puppets (which
// speak for Matrix users). A join resolves once the room reflects the joiner's own presence (status 110) and fails
// with the room's stanza error (nick taken, banned, members only, full) otherwise. The bot's view of the room's
// other occupants is kept here too, and reported as joins, leaves and nick changes.

import type { Element } from "@xmpp/xml";
import { type StanzaError, stanzaError } from "./incoming-stanzas.ts";
import { bareJid, type Jid, parseJid } from "./jid.ts";
import {
  MucOccupants,
  type OccupantChange,
  type OccupantPower,
  type OccupantPresence,
} from "./muc-occupants.ts";
import { NS } from "./namespaces.ts";
import { mucJoin, mucLeave } from "./outgoing-stanzas.ts";
import { type PresenceInfo, readPresence } from "./presence.ts";
import { describeStanzaError } from "./stanza-errors.ts";
import type { Transport } from "./transport.ts";

export class MucJoinError extends Error {
  readonly error: StanzaError;
  constructor(room: string, error: StanzaError) {
    super(`${room} refused the join: ${describeStanzaError(error)}`);
    this.name = "MucJoinError";
    this.error = error;
  }
}

interface Session {
  nick: string;
  joined: boolean;
  waiting?: { resolve: (nick: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout };
}

type History = { maxstanzas: number } | { since: Date };

export class MucRooms {
  private readonly transport: Pick<Transport, "send">;
  private readonly botJid: string;
  private readonly timeoutMs: number;
  /** `localJid room` → the session. */
  private readonly sessions = new Map<string, Session>();
  readonly occupants: MucOccupants;

  constructor(options: {
    transport: Pick<Transport, "send">;
    botJid: string;
    timeoutMs: number;
    onOccupant: (change: OccupantChange) => void;
    onPower: (power: OccupantPower) => void;
    onPhoto: (room: Jid, nick: string) => void;
    onPresence: (room: Jid, nick: string, presence: PresenceInfo) => void;
  }) {
    this.occupants = new MucOccupants({
      botJid: options.botJid,
      bridgeJidOf: (room, nick) => this.bridgeJidOf(room, nick),
      botJoined: (room) => this.sessions.get(this.key(this.botJid, room))?.joined === true,
      onOccupant: options.onOccupant,
      onPower: options.onPower,
      onPhoto: options.onPhoto,
      onPresence: options.onPresence,
    });
    this.transport = options.transport;
    this.botJid = options.botJid;
    this.timeoutMs = options.timeoutMs;
  }

  private key(localJid: string, room: Jid): string {
    return `${localJid} ${bareJid(room)}`;
  }

  /** The nick `localJid` has in `room`, when it is in there. */
  nickOf(localJid: string, room: Jid): string | undefined {
    const session = this.sessions.get(this.key(localJid, room));
    return session?.joined ? session.nick : undefined;
  }

  /** Whether `nick` in `room` is the bot or one of the puppets, whose messages the room reflects back. */
  isBridgeNick(room: Jid, nick: string): boolean {
    return this.bridgeJidOf(room, nick) !== undefined;
  }

  /** The bridge's JID (the bot's or a puppet's) behind `nick` in `room`. */
  bridgeJidOf(room: Jid, nick: string): string | undefined {
    const suffix = ` ${bareJid(room)}`;
    for (const [key, session] of this.sessions) {
      if (key.endsWith(suffix) && session.nick === nick) return key.slice(0, key.length - suffix.length);
    }
    return undefined;
  }

  /** The occupants the bot sees in `room`, the bridge's own left out. */
  membersOf(room: Jid): string[] {
    return this.occupants.membersOf(room);
  }

  /** The rooms `localJid` is in, with its nick in each. */
  roomsOf(localJid: string): { room: Jid; nick: string }[] {
    return [...this.sessions.entries()]
      .filter(([key, session]) => key.startsWith(`${localJid} `) && session.joined)
      .map(([key, session]) => ({ room: parseJid(key.slice(localJid.length + 1)), nick: session.nick }))
      .filter((joined): joined is { room: Jid; nick: string } => joined.room !== null);
  }

  /** The rooms the bot is in. */
  botRooms(): Jid[] {
    return [...this.sessions.entries()]
      .filter(([key, session]) => key.startsWith(`${this.botJid} `) && session.joined)
      .map(([key]) => parseJid(key.slice(this.botJid.length + 1))!)
      .filter((jid) => jid !== null);
  }

  /**
   * Joins `room` as `localJid`, trying `nicks` in turn while the room says one is taken. Resolves with the nick it
   * got; already being in there is enough.
   */
  async join(localJid: string, room: Jid, nicks: string[], history: History): Promise<string> {
    const key = this.key(localJid, room);
    const existing = this.sessions.get(key);
    if (existing?.joined) return existing.nick;
    let lastError: MucJoinError | null = null;
    for (const nick of nicks) {
      try {
        return await this.tryJoin(key, localJid, room, nick, history);
      } catch (err) {
        if (!(err instanceof MucJoinError) || err.error.condition !== "conflict") throw err;
        lastError = err;
      }
    }
    throw lastError ?? new Error("no nick to join with");
  }

  private tryJoin(key: string, localJid: string, room: Jid, nick: string, history: History): Promise<string> {
    const occupant = `${bareJid(room)}/${nick}`;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.sessions.delete(key);
        reject(new Error(`${bareJid(room)} did not answer the join within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.sessions.set(key, { nick, joined: false, waiting: { resolve, reject, timer } });
      this.transport.send(mucJoin({ from: localJid, occupant, history })).catch((err: unknown) => {
        clearTimeout(timer);
        this.sessions.delete(key);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  async leave(localJid: string, room: Jid, status?: string): Promise<void> {
    const key = this.key(localJid, room);
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    if (session.joined) this.occupants.leaving(room, session.nick);
    await this.transport.send(
      mucLeave({
        from: localJid,
        occupant: `${bareJid(room)}/${session.nick}`,
        ...(status !== undefined && { status }),
      }),
    );
  }

  /** After the component reconnects, the rooms have dropped everyone of the bridge: all sessions start over. */
  forgetAll(): { localJid: string; room: Jid; nick: string }[] {
    const was = [...this.sessions.entries()].map(([key, session]) => {
      const [localJid, room] = key.split(" ") as [string, string];
      return { localJid, room: parseJid(room)!, nick: session.nick };
    });
    this.sessions.clear();
    this.occupants.clear();
    return was;
  }

  /** `localJid` leaves every room it is in (a user switching between their puppet and their own account). */
  async leaveAll(localJid: string, status?: string): Promise<void> {
    for (const key of [...this.sessions.keys()]) {
      if (!key.startsWith(`${localJid} `)) continue;
      const room = parseJid(key.slice(localJid.length + 1));
      if (room !== null) await this.leave(localJid, room, status);
    }
  }

  /** After an account's own stream came back, the rooms have forgotten it. */
  forgetJid(localJid: string): void {
    for (const key of [...this.sessions.keys()])
      if (key.startsWith(`${localJid} `)) this.sessions.delete(key);
  }

  /** Handles a presence from a MUC occupant; true when it was one (and so needs nothing else). */
  handlePresence(stanza: Element): boolean {
    const from = parseJid(stanza.attrs["from"] ?? "");
    const to = stanza.attrs["to"] ?? "";
    if (from === null || from.resource === "") return false;
    const session = this.sessions.get(`${to} ${bareJid(from)}`);
    if (session === undefined) return false;
    const error = stanzaError(stanza);
    if (error !== null) {
      if (session.waiting && session.nick === from.resource) {
        clearTimeout(session.waiting.timer);
        this.sessions.delete(`${to} ${bareJid(from)}`);
        session.waiting.reject(new MucJoinError(bareJid(from), error));
      }
      return true;
    }
    const x = stanza.getChild("x", NS.mucUser);
    const presence = {
      room: { ...from, resource: "" },
      nick: from.resource,
      unavailable: stanza.attrs["type"] === "unavailable",
      codes: new Set((x?.getChildren("status") ?? []).map((el) => el.attrs["code"])),
      item: x?.getChild("item"),
      status: stanza.getChildText("status") ?? undefined,
      photo: stanza.getChild("x", NS.vcardUpdate)?.getChildText("photo")?.trim() || undefined,
      presence: readPresence(stanza),
    };
    this.occupants.noteRealJid(presence.room, presence.nick, presence.item);
    if (presence.codes.has("110")) this.ownPresence(to, presence, session);
    if (to === this.botJid) this.occupants.botCopy(presence);
    return true;
  }

  private ownPresence(to: string, presence: OccupantPresence, session: Session): void {
    const key = this.key(to, presence.room);
    if (presence.unavailable) {
      // The room renamed us (303) or removed us (kick, ban, shutdown): in the latter case the session is over.
      const newNick = presence.item?.attrs["nick"];
      if (presence.codes.has("303") && newNick) {
        session.nick = newNick;
        return;
      }
      this.sessions.delete(key);
      if (to !== this.botJid) this.occupants.puppetRemoved(presence, to);
      return;
    }
    // The room may have changed the nick on the way in (210).
    session.nick = presence.nick;
    session.joined = true;
    if (session.waiting) {
      clearTimeout(session.waiting.timer);
      session.waiting.resolve(presence.nick);
      delete session.waiting;
    }
  }
}
