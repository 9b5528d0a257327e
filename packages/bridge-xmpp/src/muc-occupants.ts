// The bot's view of who is in each bridged MUC, from the occupants' presence: arrivals, departures (left, kicked,
// banned), nick changes and standing (affiliation and role), reported in Matrix terms. The bridge's own occupants
// (the bot and puppets) are told apart by their nicks, and a puppet removed from a room is reported once, as itself.

import type { Element } from "@xmpp/xml";
import { bareJid, type Jid } from "./jid.ts";
import type { PresenceInfo } from "./presence.ts";

/** A MUC standing in Matrix terms: owners 100, admins and moderators 50, everyone else 0. */
export function powerOf(affiliation: string | undefined, role: string | undefined): number {
  if (affiliation === "owner") return 100;
  if (affiliation === "admin" || role === "moderator") return 50;
  return 0;
}

export interface OccupantPower {
  room: Jid;
  nick: string;
  /** The puppet's JID when the occupant is one of the bridge's own. */
  bridgeJid?: string;
  level: number;
}

export interface OccupantChange {
  room: Jid;
  nick: string;
  change: "join" | "leave" | "kick" | "ban" | "nick";
  /** For a nick change, the new nick. */
  newNick?: string;
  /** Who kicked or banned, when the room says. */
  actor?: string;
  /** The puppet's JID when one of the bridge's own was kicked or banned. */
  bridgeJid?: string;
  reason?: string;
}

export interface OccupantPresence {
  room: Jid;
  nick: string;
  unavailable: boolean;
  codes: Set<string | undefined>;
  item: Element | undefined;
  status: string | undefined;
  /** The SHA-1 of the occupant's vCard photo (XEP-0153), when their client announces one. */
  photo: string | undefined;
  /** Their availability (show) and status text. */
  presence: PresenceInfo | null;
}

export class MucOccupants {
  private readonly deps: {
    botJid: string;
    bridgeJidOf: (room: Jid, nick: string) => string | undefined;
    botJoined: (room: Jid) => boolean;
    onOccupant: (change: OccupantChange) => void;
    onPower: (power: OccupantPower) => void;
    /** An occupant announced a vCard photo the bridge has not seen from them. */
    onPhoto: (room: Jid, nick: string) => void;
    /** An occupant's availability or status text changed (offline as they leave). */
    onPresence: (room: Jid, nick: string, presence: PresenceInfo) => void;
  };
  /** Room bare JID → the nicks of everyone the bot sees there (the bridge's own included). */
  private readonly nicks = new Map<string, Set<string>>();
  /** `room nick` → the power level last reported. */
  private readonly levels = new Map<string, number>();
  /** `room nick` → the vCard photo hash last announced. */
  private readonly photos = new Map<string, string>();
  /** `room nick` → the presence last reported, as JSON. */
  private readonly presences = new Map<string, string>();
  /** `room nick` → the occupant's real JID, where the room shows it. */
  private readonly realJids = new Map<string, string>();
  /**
   * `room nick` of the bridge's own occupants that are on their way out (left, or removed and already reported from
   * their own copy of the presence): the bot's copy of their departure is not someone else leaving.
   */
  private readonly departedOwn = new Set<string>();

  constructor(deps: MucOccupants["deps"]) {
    this.deps = deps;
  }

  membersOf(room: Jid): string[] {
    return [...(this.nicks.get(bareJid(room)) ?? [])].filter(
      (nick) => this.deps.bridgeJidOf(room, nick) === undefined,
    );
  }

  /** The power level `nick`'s affiliation and role in `room` stand for, as last seen. */
  levelOf(room: Jid, nick: string): number {
    return this.levels.get(`${bareJid(room)} ${nick}`) ?? 0;
  }

  /** The real JID behind `nick`, when the room has shown it to anyone of the bridge. */
  realJidOf(room: Jid, nick: string): string | undefined {
    return this.realJids.get(`${bareJid(room)} ${nick}`);
  }

  /** Any copy of an occupant's presence may carry their real JID (moderators and non-anonymous rooms see it). */
  noteRealJid(room: Jid, nick: string, item: Element | undefined): void {
    const jid = item?.attrs["jid"];
    if (jid !== undefined) this.realJids.set(`${bareJid(room)} ${nick}`, jid.split("/")[0]!);
  }

  clear(): void {
    this.nicks.clear();
    this.levels.clear();
    this.photos.clear();
    this.presences.clear();
    this.departedOwn.clear();
  }

  /** One of the bridge's own occupants is leaving `room`. */
  leaving(room: Jid, nick: string): void {
    this.departedOwn.add(`${bareJid(room)} ${nick}`);
  }

  /** A puppet's own copy of its removal (status 110 with 307 or 301). */
  puppetRemoved(presence: OccupantPresence, bridgeJid: string): void {
    const ban = presence.codes.has("301");
    if (!ban && !presence.codes.has("307")) return;
    this.departedOwn.add(`${bareJid(presence.room)} ${presence.nick}`);
    const actor = presence.item?.getChild("actor")?.attrs["nick"];
    const reason = presence.item?.getChildText("reason") ?? undefined;
    this.deps.onOccupant({
      room: presence.room,
      nick: presence.nick,
      change: ban ? "ban" : "kick",
      bridgeJid,
      ...(actor && { actor }),
      ...(reason && { reason }),
    });
  }

  /** The bot's copy of an occupant's presence. */
  botCopy(presence: OccupantPresence): void {
    const { room, nick, unavailable, codes, item } = presence;
    const roomKey = bareJid(room);
    let nicks = this.nicks.get(roomKey);
    if (nicks === undefined) {
      nicks = new Set();
      this.nicks.set(roomKey, nicks);
    }
    const own =
      this.deps.bridgeJidOf(room, nick) !== undefined || this.departedOwn.delete(`${roomKey} ${nick}`);
    if (!unavailable) {
      this.reportPower(room, nick, item);
      if (!own) this.reportPhoto(room, nick, presence.photo);
      if (!own) this.reportPresence(room, nick, presence.presence);
      if (nicks.has(nick)) return;
      nicks.add(nick);
      // Those already there when the bot arrives are the room's members (see roomMembers), not new arrivals.
      if (!own && this.deps.botJoined(room)) this.deps.onOccupant({ room, nick, change: "join" });
      return;
    }
    nicks.delete(nick);
    this.levels.delete(`${roomKey} ${nick}`);
    this.photos.delete(`${roomKey} ${nick}`);
    if (own) return;
    this.reportPresence(room, nick, presence.presence);
    this.presences.delete(`${roomKey} ${nick}`);
    const reason = item?.getChildText("reason") ?? presence.status;
    const actor = item?.getChild("actor")?.attrs["nick"];
    const newNick = item?.attrs["nick"];
    const details = { ...(reason && { reason }), ...(actor && { actor }) };
    if (codes.has("303") && newNick) {
      nicks.add(newNick);
      const key = `${roomKey} ${nick}`;
      const realJid = this.realJids.get(key);
      if (realJid !== undefined) this.realJids.set(`${roomKey} ${newNick}`, realJid);
      this.deps.onOccupant({ room, nick, change: "nick", newNick });
    } else if (codes.has("301")) {
      this.deps.onOccupant({ room, nick, change: "ban", ...details });
    } else if (codes.has("307")) {
      this.deps.onOccupant({ room, nick, change: "kick", ...details });
    } else {
      this.deps.onOccupant({ room, nick, change: "leave", ...details });
    }
  }

  private reportPhoto(room: Jid, nick: string, photo: string | undefined): void {
    const key = `${bareJid(room)} ${nick}`;
    if (!photo || this.photos.get(key) === photo) return;
    this.photos.set(key, photo);
    this.deps.onPhoto(room, nick);
  }

  private reportPresence(room: Jid, nick: string, presence: PresenceInfo | null): void {
    if (presence === null) return;
    const key = `${bareJid(room)} ${nick}`;
    const json = JSON.stringify(presence);
    if (this.presences.get(key) === json) return;
    this.presences.set(key, json);
    this.deps.onPresence(room, nick, presence);
  }

  private reportPower(room: Jid, nick: string, item: Element | undefined): void {
    const bridgeJid = this.deps.bridgeJidOf(room, nick);
    if (bridgeJid === this.deps.botJid) return;
    const key = `${bareJid(room)} ${nick}`;
    const level = powerOf(item?.attrs["affiliation"], item?.attrs["role"]);
    if ((this.levels.get(key) ?? 0) === level) return;
    this.levels.set(key, level);
    this.deps.onPower({ room, nick, level, ...(bridgeJid !== undefined && { bridgeJid }) });
  }
}
