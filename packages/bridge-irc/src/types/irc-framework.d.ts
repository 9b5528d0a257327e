// irc-framework ships no type declarations; these cover what this project uses of it (v4).

declare module "irc-framework" {
  import { EventEmitter } from "node:events";

  export interface ConnectOptions {
    host: string;
    port: number;
    tls?: boolean;
    nick: string;
    username?: string;
    gecos?: string;
    password?: string;
    account?: { account: string; password: string };
    auto_reconnect?: boolean;
    auto_reconnect_max_wait?: number;
    auto_reconnect_max_retries?: number;
    ping_interval?: number;
    ping_timeout?: number;
    message_max_length?: number;
    sasl_disconnect_on_fail?: boolean;
    enable_echomessage?: boolean;
    version?: string | null;
  }

  export interface MessageEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    message: string;
    tags: Record<string, string>;
    time?: number;
    type?: string;
    /** Set when the line came inside a batch, e.g. `chathistory`: a channel's recent lines replayed on join. */
    batch?: { id: string; type: string; params: string[] };
  }

  export interface UserInfo {
    nick: string;
    username: string;
    host: string;
    away: string;
    modes: string[];
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<ConnectOptions>);
    connect(options?: ConnectOptions): void;
    /** The options of the last connect(), which irc-framework reads again on every reconnect. */
    options: ConnectOptions | null;
    readonly connected: boolean;
    /** The socket's owner; `end(null, true)` drops the socket as after an error, so irc-framework reconnects. */
    connection?: { end(data: string | null, hadError: boolean): void };
    user: { nick: string; username: string; host: string; away: boolean; modes: Set<string> };
    network: {
      name: string;
      options: Record<string, string | boolean>;
      cap: { isEnabled(cap: string): boolean; enabled: string[] };
      supports(feature: string): string | boolean;
    };
    raw(...args: (string | number)[]): void;
    rawString(...args: (string | number)[]): string;
    say(target: string, message: string, tags?: Record<string, string>): void;
    notice(target: string, message: string, tags?: Record<string, string>): void;
    action(target: string, message: string): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    setTopic(channel: string, topic: string): void;
    changeNick(nick: string): void;
    quit(message?: string): void;
    whois(nick: string, callback?: (event: Record<string, unknown>) => void): void;
    who(target: string, callback?: (event: Record<string, unknown>) => void): void;
    requestCap(cap: string | string[]): void;
  }

  const IRC: { Client: typeof Client };
  export default IRC;
}
