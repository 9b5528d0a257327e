// Netsplits: when two IRC servers lose their link, every user behind the other one quits at once with the two
// servers' names as the message ("irc.a.net irc.b.net"), and most of them are back within a minute. Bridging that
// would make each of them leave and rejoin every portal, so their leaves wait; a rejoin meanwhile cancels both.

import { ircLower } from "./formatting/mentions.ts";

const SERVER_NAME = String.raw`[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`;
const SPLIT_MESSAGE = new RegExp(`^(${SERVER_NAME}) (${SERVER_NAME})$`);

/**
 * Whether a QUIT message is the one servers give for a split. Servers prefix what users write ("Quit: ..."), so a
 * user cannot pass their own quit off as a split; where a server does not, the worst case is a delayed leave.
 */
export function isNetsplitQuit(message: string | undefined): boolean {
  const match = message === undefined ? null : SPLIT_MESSAGE.exec(message.trim());
  return match !== null && match[1] !== match[2];
}

interface Held {
  timer: NodeJS.Timeout;
}

/** Leaves held back after a split, per nick and channel, until the grace time runs out or the nick rejoins. */
export class NetsplitDebounce {
  private readonly graceMs: number;
  private readonly held = new Map<string, Held>();

  constructor(graceMs: number) {
    this.graceMs = graceMs;
  }

  get enabled(): boolean {
    return this.graceMs > 0;
  }

  get pending(): number {
    return this.held.size;
  }

  private key(nick: string, channel: string): string {
    return `${ircLower(nick)} ${ircLower(channel)}`;
  }

  /** Holds a leave back; `leave` runs if the nick has not rejoined the channel when the grace time is up. */
  hold(nick: string, channel: string, leave: () => void): void {
    const key = this.key(nick, channel);
    const previous = this.held.get(key);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      this.held.delete(key);
      leave();
    }, this.graceMs);
    timer.unref();
    this.held.set(key, { timer });
  }

  /** True when the nick's leave from the channel was held back: it is forgotten, and the rejoin is not news. */
  rejoined(nick: string, channel: string): boolean {
    const key = this.key(nick, channel);
    const held = this.held.get(key);
    if (!held) return false;
    clearTimeout(held.timer);
    this.held.delete(key);
    return true;
  }

  clear(): void {
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
  }
}
