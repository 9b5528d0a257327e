// A stand-in for irc-framework's Client: records what would go on the wire and lets a test play the server's side
// by emitting the events irc-framework would. Only what IrcConnection and IrcEvents use is here.

import { EventEmitter } from "node:events";
import type { Client, ConnectOptions } from "irc-framework";

export class FakeIrcClient extends EventEmitter {
  /** Every line sent, as its words (the last one may contain spaces). */
  readonly sent: string[][] = [];
  readonly connects: ConnectOptions[] = [];
  options: ConnectOptions | null = null;
  connected = false;
  connection: { end(data: string | null, hadError: boolean): void } | undefined;
  quitMessage: string | undefined;
  user = { nick: "", username: "", host: "", away: false, modes: new Set<string>() };
  /** Tokens of the PINGs the connection sent to confirm delivery, in order. */
  readonly pings: string[] = [];
  /** Answer those PINGs at once, as a server does; off to hold a confirmation back. */
  answersPings = true;
  /** Answer every connect with a registration at once (for pools that just need working connections). */
  autoRegister = false;

  connect(options?: ConnectOptions): void {
    if (options) this.options = options;
    if (this.options) {
      this.user.nick = this.options.nick;
      this.connects.push({ ...this.options });
    }
    if (this.autoRegister) queueMicrotask(() => this.register());
  }

  raw(...args: (string | number)[]): void {
    const [command, token] = args.map(String);
    // The connection's delivery confirmations are kept apart, so tests compare what goes to channels and users.
    if (command === "PING" && token?.startsWith("bridge-")) {
      this.pings.push(token);
      if (this.answersPings && this.connected) queueMicrotask(() => this.emit("pong", { message: token }));
      return;
    }
    this.sent.push(args.map(String));
  }

  changeNick(nick: string): void {
    this.raw("NICK", nick);
  }

  quit(message?: string): void {
    this.quitMessage = message ?? "";
    this.connected = false;
  }

  /** The server accepted the registration (001), under `nick` or the nick last asked for. */
  register(nick = this.user.nick): void {
    this.connected = true;
    this.emit("registered", { nick });
    this.user.nick = nick;
  }

  /** The connection dropped, as irc-framework reports it. */
  drop(): void {
    this.connected = false;
    this.emit("socket close");
  }

  /** The lines sent since `from`, each joined back into one string. */
  lines(from = 0): string[] {
    return this.sent.slice(from).map((words) => words.join(" "));
  }

  asClient(): Client {
    return this as unknown as Client;
  }
}
