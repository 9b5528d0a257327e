// One connection to the IRC server (the bridge bot's, or a Matrix user's puppet), on irc-framework. Everything sent
// goes through `send`, which refuses any parameter that could end the line early: whatever a Matrix user wrote, it
// can never become a second IRC command.

import { EventEmitter, once } from "node:events";
import IRC, { type Client } from "irc-framework";

export interface ConnectionOptions {
  host: string;
  port: number;
  tls: boolean;
  nick: string;
  username: string;
  realname: string;
  sasl?: { account: string; password: string };
}

const CONNECT_TIMEOUT_MS = 30_000;
const JOIN_TIMEOUT_MS = 15_000;
const UNSAFE = /[\r\n\0]/;

export class UnsafeIrcParameterError extends Error {
  constructor() {
    super("refusing to send an IRC parameter that could end the line or shift the parameters");
    this.name = "UnsafeIrcParameterError";
  }
}

import { ircLower } from "./formatting/mentions.ts";

export { ircLower };

export class IrcConnection extends EventEmitter {
  readonly client: Client;
  private readonly options: ConnectionOptions;
  /** Channels this connection is in (lower-case), so they are joined again after a reconnect. */
  readonly channels = new Set<string>();
  private registered = false;
  private nickAttempt = 0;

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
    this.client = new IRC.Client();
    this.client.on("registered", () => {
      this.registered = true;
      for (const channel of this.channels) this.send("JOIN", channel);
    });
    this.client.on("socket close", () => {
      this.registered = false;
    });
    // A nick in use while registering would leave the connection waiting forever: take the next spelling.
    this.client.on("nick in use", () => {
      if (this.registered) return;
      this.nickAttempt++;
      this.client.changeNick(`${options.nick.slice(0, 26)}_${this.nickAttempt}`);
    });
  }

  get nick(): string {
    return this.client.user.nick;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Connects and resolves once the server has accepted the registration (001). */
  async connect(): Promise<void> {
    const { host, port, tls, nick, username, realname, sasl } = this.options;
    const registered = once(this.client, "registered", { signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
    this.client.connect({
      host,
      port,
      tls,
      nick,
      username,
      gecos: realname,
      ...(sasl && { account: sasl }),
      auto_reconnect: true,
      auto_reconnect_max_wait: 60_000,
      auto_reconnect_max_retries: 1_000_000,
      // Lines are split by the bridge within the server's limit; irc-framework must not split them again.
      message_max_length: 512,
      version: null,
    });
    await registered;
  }

  /** Sends one IRC command; every parameter is checked, and only the last one may contain spaces. */
  send(command: string, ...params: string[]): void {
    params.forEach((param, i) => {
      const middle = i < params.length - 1;
      if (UNSAFE.test(param) || (middle && (param === "" || /\s/.test(param) || param.startsWith(":")))) {
        throw new UnsafeIrcParameterError();
      }
    });
    this.client.raw(command, ...params);
  }

  /** Joins a channel and resolves once the server has sent its topic and members. */
  async join(channel: string): Promise<void> {
    const key = ircLower(channel);
    if (this.channels.has(key)) return;
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off("userlist", onNames);
        reject(new Error(`could not join ${channel}`));
      }, JOIN_TIMEOUT_MS);
      // The member list ends the server's answer to a join, after the topic: once it is in, both are known.
      const onNames = (event: { channel: string }) => {
        if (ircLower(event.channel) !== key) return;
        clearTimeout(timer);
        this.client.off("userlist", onNames);
        resolve();
      };
      this.client.on("userlist", onNames);
    });
    this.send("JOIN", channel);
    await joined;
    this.channels.add(key);
  }

  part(channel: string, reason?: string): void {
    this.channels.delete(ircLower(channel));
    if (reason) this.send("PART", channel, reason);
    else this.send("PART", channel);
  }

  /** Sends text lines already split within the line limit; an action wraps each line in CTCP ACTION. */
  sendLines(kind: "PRIVMSG" | "NOTICE" | "ACTION", target: string, lines: string[]): void {
    for (const line of lines) {
      if (kind === "ACTION") this.send("PRIVMSG", target, `\x01ACTION ${line}\x01`);
      else this.send(kind, target, line);
    }
  }

  quit(message = "Leaving"): void {
    this.channels.clear();
    this.client.quit(message);
  }
}
