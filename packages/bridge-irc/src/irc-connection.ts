// One connection to the IRC server (the bridge bot's, or a Matrix user's puppet), on irc-framework. Everything sent
// goes through `send`, which refuses any parameter that could end the line early: whatever a Matrix user wrote, it
// can never become a second IRC command.
//
// A connection lives through outages: irc-framework reconnects with a capped exponential backoff, and where it gives
// up (a drop within seconds of registering, or too many attempts) this class carries on the same way. Channels are
// joined again on every registration, and messages sent meanwhile wait in order until the connection is back.

import { EventEmitter } from "node:events";
import IRC, { type Client } from "irc-framework";
import { isSafeIrcParam } from "./formatting/lines.ts";
import { ircLower } from "./formatting/mentions.ts";
import { type Credentials, IrcLogin } from "./irc-login.ts";
import { checkParams, UnsafeIrcParameterError } from "./irc-params.ts";
import { LineOutbox } from "./line-outbox.ts";
import { shareCommandTable } from "./shared-command-table.ts";

export type { Credentials };
export { ircLower };

export interface ConnectionOptions {
  host: string;
  port: number;
  tls: boolean;
  nick: string;
  username: string;
  realname: string;
  /** Logged in with SASL PLAIN where the server offers it, else with NickServ IDENTIFY. */
  credentials?: Credentials;
  /** The longest wait between two attempts to reconnect; 60 s unless told. */
  reconnectMaxWaitMs?: number;
}

export interface WhoisReply {
  nick: string;
  ident?: string;
  hostname?: string;
  real_name?: string;
  server?: string;
  channels?: string;
  account?: string;
  away?: string;
  idle?: string;
  error?: string;
}

const CONNECT_TIMEOUT_MS = 30_000;
/**
 * A reconnection the server accepted but never registered (seen while a restarted server waits for its services to
 * answer a SASL login) would otherwise sit there until irc-framework's ping timeout, minutes later: it is dropped
 * and tried again after this long.
 */
const REGISTRATION_TIMEOUT_MS = 20_000;
const JOIN_TIMEOUT_MS = 15_000;
const ANSWER_TIMEOUT_MS = 10_000;
/** Refusals of a nick change besides in use (433) and erroneous (432): unavailable, too fast, not allowed. */
const NICK_REFUSALS = new Set(["435", "436", "437", "438", "447", "484"]);

/** The server refused a nick: the message says why, in words for the user. */
export class NickRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NickRefusedError";
  }
}

/** irc-framework's own backoff, for the attempts it leaves to us: doubling from 1 s, capped, plus 1–6 s of jitter. */
export function reconnectDelay(attempt: number, maxWaitMs: number): number {
  return Math.min(1000 * 2 ** Math.min(attempt, 30), maxWaitMs) + 1000 + Math.floor(Math.random() * 5000);
}

/**
 * Events: `up` ({ reconnect, downtimeMs }) once registered, channels rejoined and waiting lines sent; `down` when a
 * registered connection is lost; `reconnecting` ({ attempt, waitMs }); `nick` (new nick, old nick) whenever the
 * server changes this connection's nick; `logged in` ({ account, method: "sasl" | "nickserv" }).
 */
export class IrcConnection extends EventEmitter {
  readonly client: Client;
  private readonly options: ConnectionOptions;
  /** Channels this connection is in (lower-case), so they are joined again after a reconnect. */
  readonly channels = new Set<string>();
  private readonly login: IrcLogin;
  private readonly maxWaitMs: number;
  private registered = false;
  private everRegistered = false;
  private quitting = false;
  /** The nick to ask for on every (re)connection; the server may have given a variant of it. */
  private preferredNick: string;
  private nickAttempt = 0;
  private readonly outbox: LineOutbox;
  private downSince: number | undefined;
  private ownAttempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private registrationTimer: NodeJS.Timeout | undefined;

  constructor(options: ConnectionOptions, client: Client = new IRC.Client()) {
    super();
    this.options = options;
    this.preferredNick = options.nick;
    this.maxWaitMs = options.reconnectMaxWaitMs ?? 60_000;
    this.client = client;
    shareCommandTable(client);
    this.login = new IrcLogin(client, options.credentials, (command, ...params) =>
      this.send(command, ...params),
    );
    client.on("socket connected", () => {
      clearTimeout(this.registrationTimer);
      this.registrationTimer = setTimeout(() => {
        if (!this.registered && !this.quitting) client.connection?.end(null, true);
      }, REGISTRATION_TIMEOUT_MS);
    });
    client.on("registered", (e: { nick: string }) => {
      clearTimeout(this.registrationTimer);
      // irc-framework records the nick the server gave only after this event's listeners ran.
      client.user.nick = e.nick;
      this.onRegistered();
    });
    this.outbox = new LineOutbox(client);
    client.on("socket close", () => {
      clearTimeout(this.registrationTimer);
      const wasRegistered = this.registered;
      this.registered = false;
      // Ask for the nick the user chose again, not the variant a collision gave last time.
      client.user.nick = this.preferredNick;
      this.nickAttempt = 0;
      if (wasRegistered) {
        this.downSince = Date.now();
        this.emit("down");
      }
    });
    // Logged in before registration completed means SASL; after it, NickServ.
    client.on("loggedin", (e: { account?: string }) =>
      this.emit("logged in", { account: e.account, method: this.registered ? "nickserv" : "sasl" }),
    );
    client.on("reconnecting", (e: { attempt: number; wait: number }) =>
      this.emit("reconnecting", { attempt: e.attempt, waitMs: e.wait }),
    );
    client.on("close", () => this.retryAfterGivingUp());
    // A nick in use while registering would leave the connection waiting forever: take the next spelling.
    client.on("nick in use", () => {
      if (this.registered) return;
      this.nickAttempt++;
      client.changeNick(`${this.preferredNick.slice(0, 26)}_${this.nickAttempt}`);
    });
    // A nick this server will not take at all (too long for it, say): a short one it will.
    client.on("nick invalid", () => {
      if (this.registered) return;
      this.nickAttempt++;
      const short = this.preferredNick.slice(0, 8);
      client.changeNick(this.nickAttempt === 1 && /^[A-Za-z]/.test(short) ? short : `M${Date.now() % 1e7}`);
    });
    // irc-framework updates its own nick after this event's listeners ran: the old nick is still the current one.
    client.on("nick", (e: { nick: string; new_nick: string }) => {
      if (ircLower(e.nick) === ircLower(client.user.nick)) this.emit("nick", e.new_nick, e.nick);
    });
  }

  get nick(): string {
    return this.client.user.nick;
  }

  /** Registered with the server now: what is sent goes out at once rather than waiting. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Lines waiting for the connection to come back. */
  get queued(): number {
    return this.outbox.queued;
  }

  /** The account the server says this connection is logged in to, if any. */
  get account(): string | undefined {
    return this.login.account;
  }

  /** Connects and resolves once the server has accepted the registration (001). */
  async connect(): Promise<void> {
    const { host, port, tls, nick, username, realname, credentials } = this.options;
    const registered = new Promise<void>((resolve, reject) => {
      let lastError: string | undefined;
      const cleanup = () => {
        clearTimeout(timer);
        this.client.off("registered", onRegistered);
        this.client.off("socket close", onSocketClose);
        this.client.off("close", onClose);
      };
      const onRegistered = () => {
        cleanup();
        resolve();
      };
      const onSocketClose = (err?: Error) => {
        if (err) lastError = err.message;
      };
      // irc-framework does not retry a first connection that never registered: fail now, not after the timeout.
      const onClose = () => {
        cleanup();
        reject(new Error(`the IRC server closed the connection${lastError ? ` (${lastError})` : ""}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error("the IRC server did not accept the connection in time"));
      }, CONNECT_TIMEOUT_MS);
      this.client.on("registered", onRegistered);
      this.client.on("socket close", onSocketClose);
      this.client.on("close", onClose);
    });
    this.client.connect({
      host,
      port,
      tls,
      nick,
      username,
      gecos: realname,
      ...(credentials && { account: { ...credentials } }),
      auto_reconnect: true,
      auto_reconnect_max_wait: this.maxWaitMs,
      auto_reconnect_max_retries: 1_000_000,
      // Lines are split by the bridge within the server's limit; irc-framework must not split them again.
      message_max_length: 512,
      version: null,
    });
    await registered;
  }

  private onRegistered(): void {
    const reconnect = this.everRegistered;
    this.registered = true;
    this.everRegistered = true;
    this.ownAttempts = 0;
    this.login.afterRegistration();
    for (const channel of this.channels) this.send("JOIN", channel);
    const sent = this.outbox.flush();
    const downtimeMs = this.downSince === undefined ? undefined : Date.now() - this.downSince;
    this.downSince = undefined;
    this.emit("up", { reconnect, downtimeMs, sent });
  }

  /** Drops the connection as if the network had, so that it is made again the usual way (an admin's reconnect). */
  dropAndReconnect(): void {
    if (this.quitting) return;
    this.client.connection?.end(null, true);
  }

  /** irc-framework stops after a drop soon after registering, or after its last attempt; a bridge must not. */
  private retryAfterGivingUp(): void {
    if (this.quitting || !this.everRegistered || this.retryTimer !== undefined) return;
    this.ownAttempts++;
    const waitMs = reconnectDelay(this.ownAttempts - 1, this.maxWaitMs);
    this.emit("reconnecting", { attempt: this.ownAttempts, waitMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.quitting) return;
      if (this.client.options) this.client.options.nick = this.preferredNick;
      this.client.connect();
    }, waitMs);
  }

  /** Sends one IRC command; every parameter is checked, and only the last one may contain spaces. */
  send(command: string, ...params: string[]): void {
    checkParams(params);
    this.client.raw(command, ...params);
  }

  /** Joins a channel and resolves once the server has sent its topic and members. */
  async join(channel: string): Promise<void> {
    const key = ircLower(channel);
    if (this.channels.has(key)) return;
    if (!isSafeIrcParam(channel)) throw new UnsafeIrcParameterError();
    if (!this.registered) {
      // Down for now: the channel is joined with the others when the connection is back.
      this.channels.add(key);
      return;
    }
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
    if (!this.registered) return;
    if (reason) this.send("PART", channel, reason);
    else this.send("PART", channel);
  }

  /**
   * Sends text lines already split within the line limit; an action wraps each line in CTCP ACTION. While the
   * connection is down they wait, in order, and go out once it is back. Resolves once the server has taken them: it
   * answered a PING sent after them, and a server handles a connection's commands in order. Rejects with
   * DeliveryUnconfirmedError if the connection drops before that (the lines may or may not have arrived), or with
   * another error if they were never written.
   */
  async sendLines(kind: "PRIVMSG" | "NOTICE" | "ACTION", target: string, lines: string[]): Promise<void> {
    const commands = lines.map((line) =>
      kind === "ACTION" ? ["PRIVMSG", target, `\x01ACTION ${line}\x01`] : [kind, target, line],
    );
    // Every line is checked before any goes out or waits, so a message is never half sent.
    for (const [, ...params] of commands) checkParams(params);
    if (this.quitting) throw new Error("this IRC connection has been closed");
    if (this.registered && this.outbox.isEmpty) await this.outbox.send(commands);
    else await this.outbox.hold(commands);
  }

  /** Changes the nick; resolves with the nick the server gave, or rejects with its refusal. */
  changeNick(nick: string): Promise<string> {
    if (!this.registered) return Promise.reject(new Error("the IRC connection is down; try again shortly"));
    if (!isSafeIrcParam(nick)) return Promise.reject(new UnsafeIrcParameterError());
    const old = this.nick;
    return new Promise<string>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        this.client.off("nick", onNick);
        this.client.off("nick in use", onInUse);
        this.client.off("nick invalid", onInvalid);
        this.client.off("unknown command", onOther);
        outcome();
      };
      const onNick = (e: { nick: string; new_nick: string }) => {
        if (ircLower(e.nick) !== ircLower(old)) return;
        this.preferredNick = e.new_nick;
        if (this.client.options) this.client.options.nick = e.new_nick;
        finish(() => resolve(e.new_nick));
      };
      const onInUse = () => finish(() => reject(new NickRefusedError(`${nick} is already in use`)));
      const onInvalid = (e: { reason?: string }) =>
        finish(() =>
          reject(new NickRefusedError(`${nick} is not a valid nick here (${e.reason ?? "erroneous"})`)),
        );
      const onOther = (command: { command: string; params: string[] }) => {
        if (!NICK_REFUSALS.has(command.command)) return;
        const reason = command.params.at(-1) ?? "refused";
        finish(() => reject(new NickRefusedError(`${nick} was refused: ${reason}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error("the IRC server did not answer the nick change"))),
        ANSWER_TIMEOUT_MS,
      );
      this.client.on("nick", onNick);
      this.client.on("nick in use", onInUse);
      this.client.on("nick invalid", onInvalid);
      this.client.on("unknown command", onOther);
      this.send("NICK", nick);
    });
  }

  /** Asks the server who a nick is; `error` is set in the reply when nobody has that nick. */
  whois(nick: string): Promise<WhoisReply> {
    if (!this.registered) return Promise.reject(new Error("the IRC connection is down; try again shortly"));
    if (!isSafeIrcParam(nick)) return Promise.reject(new UnsafeIrcParameterError());
    return new Promise<WhoisReply>((resolve, reject) => {
      const onWhois = (event: WhoisReply) => {
        if (ircLower(event.nick) !== ircLower(nick)) return;
        clearTimeout(timer);
        this.client.off("whois", onWhois);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.client.off("whois", onWhois);
        reject(new Error("the IRC server did not answer the WHOIS"));
      }, ANSWER_TIMEOUT_MS);
      this.client.on("whois", onWhois);
      this.send("WHOIS", nick);
    });
  }

  /** Stores (or forgets) the login for this and later registrations, logging in now if connected. */
  setCredentials(credentials: Credentials | undefined): void {
    this.login.setCredentials(credentials, this.registered);
  }

  quit(message = "Leaving"): void {
    this.quitting = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.registrationTimer);
    this.retryTimer = undefined;
    this.channels.clear();
    this.outbox.close();
    this.client.quit(message);
  }
}

export { DeliveryUnconfirmedError, MAX_QUEUED_LINES } from "./line-outbox.ts";
export { UnsafeIrcParameterError };
