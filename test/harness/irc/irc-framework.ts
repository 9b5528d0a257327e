// irc-framework ships no type declarations, and the bridge package declares the module "irc-framework" for its own
// use. A second ambient declaration here would merge with that one into conflicts, so the harness loads the package
// through require (it is CommonJS; an ES import would give the same `module.exports`) and types the part it uses
// locally, independent of how the bridge's declaration evolves.

import { createRequire } from "node:module";

export interface IrcFrameworkOptions {
  host: string;
  port: number;
  nick: string;
  username?: string;
  gecos?: string;
  tls?: boolean;
  /** Server password (PASS); irc-framework also tries it for SASL PLAIN when no `account` is given. */
  password?: string;
  /** SASL PLAIN credentials. */
  account?: { account: string; password: string };
  sasl_disconnect_on_fail?: boolean;
  auto_reconnect?: boolean;
  ping_interval?: number;
  ping_timeout?: number;
  message_max_length?: number;
  enable_echomessage?: boolean;
  encoding?: string;
  version?: string | null;
}

/** The parsed event objects irc-framework emits; their fields depend on the event. */
export interface EventPayload {
  readonly [field: string]: unknown;
}

export interface IrcFrameworkClient {
  readonly user: { nick: string; username: string; gecos: string; host?: string; away: boolean };
  readonly network: {
    name?: string;
    cap: { isEnabled(capability: string): boolean; enabled: string[] };
    supports(feature: string): unknown;
  };
  connect(options?: IrcFrameworkOptions): void;
  on(event: "close", listener: (hadError: boolean) => void): this;
  /** Emitted before "close", with the socket's error if it failed. */
  on(event: "socket close", listener: (error: Error | false) => void): this;
  on(event: string, listener: (event: EventPayload) => void): this;
  /** A whole line as is, or words joined with the last one made a trailing parameter when needed. */
  raw(line: string, ...words: string[]): void;
  say(target: string, message: string, tags?: Record<string, string>): void;
  notice(target: string, message: string, tags?: Record<string, string>): void;
  action(target: string, message: string): string[];
  join(channel: string, key?: string): void;
  part(channel: string, message?: string): void;
  changeNick(nick: string): void;
  quit(message?: string): void;
  requestCap(capability: string | string[]): void;
  /** Compares nicks or channel names under the server's announced case mapping. */
  caseCompare(a: string, b: string): boolean;
}

interface IrcFrameworkModule {
  Client: new (options?: Partial<IrcFrameworkOptions>) => IrcFrameworkClient;
}

const IRC = createRequire(import.meta.url)("irc-framework") as IrcFrameworkModule;

export function createIrcFrameworkClient(): IrcFrameworkClient {
  return new IRC.Client();
}
