// An IRC user for end-to-end tests, on irc-framework, the client library IRC bridges commonly build on. Every event
// it receives is kept in order, so a test can wait for something that may already have happened by the time it
// asks: a message can arrive between a bridge's action and the test's `waitFor`.

import { describeEvent, flatten, type IrcEvent, type IrcEventType, RECORDED } from "./irc-event-record.ts";
import { createIrcFrameworkClient, type EventPayload, type IrcFrameworkClient } from "./irc-framework.ts";

export interface ConnectIrcClientOptions {
  host: string;
  port: number;
  nick: string;
  /** Defaults to the nick. */
  username?: string;
  /** The real name; defaults to the nick. */
  gecos?: string;
  /** Log in with SASL PLAIN during registration; connecting fails if the server refuses. */
  sasl?: { account: string; password: string };
  /** How long registration may take; defaults to 15 s. */
  timeoutMs?: number;
}

export interface WaitForOptions {
  /** Only events from this index of `events` on count; see `eventCount`. Defaults to all of them. */
  since?: number;
  /** Says what was awaited in the timeout message. */
  description?: string;
}

const DEFAULT_WAIT_MS = 10_000;

/** irc-framework's names for the numerics that refuse a JOIN. */
const JOIN_ERRORS = new Set([
  "channel_is_full",
  "invite_only_channel",
  "banned_from_channel",
  "bad_channel_key",
  "too_many_channels",
]);
const TAIL_EVENTS = 15;

interface Waiter {
  matches(event: IrcEvent): boolean;
  resolve(event: IrcEvent): void;
  reject(error: Error): void;
}

export class IrcTestClient {
  /** The irc-framework client, for whatever this class does not wrap. */
  readonly client: IrcFrameworkClient;
  private readonly received: IrcEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private closed = false;
  private closeWaiters: Array<() => void> = [];

  constructor(client: IrcFrameworkClient) {
    this.client = client;
    for (const [name, type] of RECORDED) {
      client.on(name, (payload) => this.record(type, name, payload));
    }
    client.on("close", () => {
      this.closed = true;
      for (const waiter of this.waiters) {
        waiter.reject(
          new Error(`${this.nick}: the connection closed while waiting.\n${this.describeTail()}`),
        );
      }
      this.waiters.clear();
      for (const resolveClose of this.closeWaiters) resolveClose();
      this.closeWaiters = [];
    });
  }

  /** The nick the server knows this client by now. */
  get nick(): string {
    return this.client.user.nick;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Everything received so far, oldest first. */
  get events(): readonly IrcEvent[] {
    return this.received;
  }

  /** How many events have arrived; pass it as `since` to wait only for later ones. */
  get eventCount(): number {
    return this.received.length;
  }

  /**
   * Resolves with the first event, received before or after this call, that `predicate` accepts; rejects after
   * `timeoutMs` with the last events received, or at once if the connection closes.
   */
  waitFor(
    predicate: (event: IrcEvent) => boolean,
    timeoutMs: number = DEFAULT_WAIT_MS,
    options: WaitForOptions = {},
  ): Promise<IrcEvent> {
    let found: IrcEvent | undefined;
    try {
      found = this.received.slice(options.since ?? 0).find(predicate);
    } catch (error) {
      return Promise.reject(error);
    }
    if (found) return Promise.resolve(found);
    const what = options.description ?? "a matching event";
    if (this.closed) {
      return Promise.reject(new Error(`${this.nick}: the connection is closed; ${what} will not arrive.`));
    }
    return new Promise((resolveEvent, reject) => {
      const waiter: Waiter = {
        matches: predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolveEvent(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${this.nick}: timed out after ${timeoutMs} ms waiting for ${what}.\n${this.describeTail()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Joins and resolves once the server confirmed it and sent the member list. */
  async join(channel: string, key?: string): Promise<void> {
    const since = this.eventCount;
    this.client.join(channel, key);
    const outcome = await this.waitFor(
      (event) =>
        (event.type === "names" || (event.type === "error" && JOIN_ERRORS.has(event.error ?? ""))) &&
        this.sameName(event.channel, channel),
      DEFAULT_WAIT_MS,
      { since, description: `the member list of ${channel} after joining` },
    );
    if (outcome.type === "error") {
      throw new Error(
        `${this.nick} could not join ${channel}: ${outcome.error} ${outcome.message ?? ""}`.trim(),
      );
    }
    // The member list also answers a NAMES query; make sure the JOIN itself came first.
    const joined = this.received
      .slice(since)
      .some(
        (event) =>
          event.type === "join" &&
          this.sameName(event.nick, this.nick) &&
          this.sameName(event.channel, channel),
      );
    if (!joined)
      throw new Error(`${this.nick} got the member list of ${channel} but no JOIN.\n${this.describeTail()}`);
  }

  /** Asks the server who is in a channel now. */
  async names(channel: string): Promise<string[]> {
    const asked = this.eventCount;
    this.raw(`NAMES ${channel}`);
    const names = await this.waitFor((e) => e.type === "names" && e.channel === channel, DEFAULT_WAIT_MS, {
      since: asked,
      description: `the members of ${channel}`,
    });
    return (names.payload["users"] as { nick: string }[]).map((user) => user.nick);
  }

  part(channel: string, message?: string): void {
    this.client.part(channel, message);
  }

  say(target: string, text: string): void {
    this.client.say(target, text);
  }

  action(target: string, text: string): void {
    this.client.action(target, text);
  }

  notice(target: string, text: string): void {
    this.client.notice(target, text);
  }

  /** Sends one line exactly as given, without the line ending. */
  raw(line: string): void {
    this.client.raw(line);
  }

  /** Sends QUIT and resolves once the server closed the connection (or after 5 s, whichever comes first). */
  async quit(message = "bye"): Promise<void> {
    if (this.closed) return;
    const closed = new Promise<void>((resolveClose) => this.closeWaiters.push(resolveClose));
    this.client.quit(message);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolveLate) => (timer = setTimeout(resolveLate, 5_000))),
    ]);
    clearTimeout(timer);
  }

  /** The last events, one a line, for failure messages. */
  describeTail(count = TAIL_EVENTS): string {
    if (this.received.length === 0) return `${this.nick} has received no events.`;
    const tail = this.received.slice(-count).map(describeEvent);
    return `last ${tail.length} of ${this.received.length} events of ${this.nick}:\n  ${tail.join("\n  ")}`;
  }

  private sameName(a: string | undefined, b: string): boolean {
    return a !== undefined && this.client.caseCompare(a, b);
  }

  private record(type: IrcEventType, name: string, payload: EventPayload): void {
    const event = flatten(type, name, payload, this.nick);
    this.received.push(event);
    for (const waiter of this.waiters) {
      let matches: boolean;
      try {
        matches = waiter.matches(event);
      } catch (error) {
        this.waiters.delete(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matches) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }
}

/**
 * Connects and resolves once the server has registered the client (001), logged in too when `sasl` is given.
 * The client never reconnects by itself: a dropped connection is something a test should see.
 */
export function connectIrcClient(options: ConnectIrcClientOptions): Promise<IrcTestClient> {
  const client = createIrcFrameworkClient();
  const testClient = new IrcTestClient(client);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const label = `${options.nick} at ${options.host}:${options.port}`;
  return new Promise((resolveClient, reject) => {
    let loggedIn = false;
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!testClient.isClosed) client.quit("registration failed");
      reject(new Error(`${label} could not register: ${reason}\n${testClient.describeTail()}`));
    };
    const timer = setTimeout(() => fail(`no welcome within ${timeoutMs} ms`), timeoutMs);
    client.on("loggedin", () => {
      loggedIn = true;
    });
    client.on("registered", () => {
      if (settled) return;
      if (options.sasl && !loggedIn) {
        fail(`registered without logging in as ${options.sasl.account}`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolveClient(testClient);
    });
    client.on("sasl failed", (event) => fail(`SASL failed (${String(event["reason"])})`));
    client.on("nick in use", (event) => fail(`nick in use: ${String(event["reason"] ?? options.nick)}`));
    client.on("nick invalid", (event) => fail(`invalid nick: ${String(event["reason"] ?? options.nick)}`));
    client.on("irc error", (event) => {
      if (event["error"] === "irc" || event["error"] === "password_mismatch") {
        fail(`${String(event["error"])}: ${String(event["reason"] ?? "")}`);
      }
    });
    client.on("socket close", (error) => fail(`the connection closed${error ? `: ${error.message}` : ""}`));
    client.connect({
      host: options.host,
      port: options.port,
      nick: options.nick,
      username: options.username ?? options.nick,
      gecos: options.gecos ?? options.nick,
      auto_reconnect: false,
      ...(options.sasl ? { account: { ...options.sasl }, sasl_disconnect_on_fail: true } : {}),
    });
  });
}

export type { IrcEvent, IrcEventType };
