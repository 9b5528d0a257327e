// IRC has no user ids: a person is whatever nick they have now. The bridge keeps one identity (one ghost) per
// person for as long as it sees them, so a nick change renames the ghost (a display-name change on Matrix) instead
// of swapping one ghost for another. An identity is the lower-case nick the person was first seen with; if someone
// else later takes that nick while its first owner is still around under a new one, they get a suffixed identity.

import { type RemoteUserId, remoteUserId } from "bridge-core";
import { ircLower } from "./formatting/mentions.ts";

export class NickIdentities {
  /** lower-case current nick → identity */
  private readonly byNick = new Map<string, RemoteUserId>();
  /** identity → current nick, as the server spells it */
  private readonly nickOf = new Map<RemoteUserId, string>();

  /** The identity of whoever has `nick` now, making one if the nick is new. */
  identify(nick: string): RemoteUserId {
    const lower = ircLower(nick);
    const known = this.byNick.get(lower);
    if (known !== undefined) return known;
    let id = remoteUserId(lower);
    for (let n = 2; this.nickOf.has(id); n++) id = remoteUserId(`${lower}~${n}`);
    this.byNick.set(lower, id);
    this.nickOf.set(id, nick);
    return id;
  }

  /** The person with `oldNick` is now `newNick`: same identity, new name. */
  renamed(oldNick: string, newNick: string): RemoteUserId {
    const id = this.identify(oldNick);
    this.byNick.delete(ircLower(oldNick));
    this.byNick.set(ircLower(newNick), id);
    this.nickOf.set(id, newNick);
    return id;
  }

  /** The nick an identity goes by now (the identity itself for someone the bridge has not seen). */
  currentNick(id: RemoteUserId): string {
    return this.nickOf.get(id) ?? id;
  }

  /** Someone the bridge no longer sees: their nick and identity are free again. */
  forget(nick: string): void {
    const lower = ircLower(nick);
    const id = this.byNick.get(lower);
    this.byNick.delete(lower);
    if (id !== undefined) this.nickOf.delete(id);
  }
}
