// The lines a connection sends for Matrix messages, and the proof that the server took them. While the connection is
// down, messages wait here in order; once written, a PING follows them, and since a server handles a connection's
// commands in order, its answer confirms every line before it. Until then a message does not count as delivered, so
// a crash or a drop leaves it to be sent again rather than lost.

import type { Client } from "irc-framework";

/** Past this many lines waiting for the connection to come back, more are refused rather than kept. */
export const MAX_QUEUED_LINES = 1_000;

/** The connection dropped after lines were written but before the server confirmed them: they may have arrived. */
export class DeliveryUnconfirmedError extends Error {
  constructor() {
    super("the IRC connection dropped before the server confirmed the message");
    this.name = "DeliveryUnconfirmedError";
  }
}

interface Waiting {
  commands: string[][];
  written: () => void;
  failed: (err: Error) => void;
}

export class LineOutbox {
  private readonly client: Client;
  private waiting: Waiting[] = [];
  /** PING tokens sent to confirm lines → who waits for the answer. */
  private readonly confirmations = new Map<string, { done: () => void; failed: (err: Error) => void }>();
  private nextToken = 1;

  constructor(client: Client) {
    this.client = client;
    client.on("pong", (e: { message?: string }) => {
      const token = e.message ?? "";
      const confirmation = this.confirmations.get(token);
      if (confirmation === undefined) return;
      this.confirmations.delete(token);
      confirmation.done();
    });
    client.on("socket close", () => this.failConfirmations());
  }

  /** Lines waiting for the connection to come back. */
  get queued(): number {
    return this.waiting.reduce((lines, message) => lines + message.commands.length, 0);
  }

  /** Whether no message waits (one that does keeps later ones behind it, even once the connection is back). */
  get isEmpty(): boolean {
    return this.waiting.length === 0;
  }

  /** Writes the commands now, then resolves once the server confirmed them. */
  async send(commands: string[][]): Promise<void> {
    this.write(commands);
    await this.confirmed();
  }

  /** Keeps the commands until `flush`, then resolves once the server confirmed them. */
  async hold(commands: string[][]): Promise<void> {
    if (this.queued + commands.length > MAX_QUEUED_LINES) {
      throw new Error("the IRC connection is down, and too much is already waiting to be sent");
    }
    await new Promise<void>((written, failed) => this.waiting.push({ commands, written, failed }));
    await this.confirmed();
  }

  /** Writes every held message, in order; returns how many there were. */
  flush(): number {
    const waiting = this.waiting;
    this.waiting = [];
    for (const message of waiting) {
      this.write(message.commands);
      message.written();
    }
    return waiting.length;
  }

  /** The connection is closed for good: nothing held goes out, and nothing unconfirmed will be. */
  close(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const { failed } of waiting)
      failed(new Error("the IRC connection was closed before the message went out"));
    this.failConfirmations();
  }

  private write(commands: string[][]): void {
    for (const [command = "", ...params] of commands) this.client.raw(command, ...params);
  }

  private confirmed(): Promise<void> {
    const token = `bridge-${this.nextToken++}`;
    const answered = new Promise<void>((done, failed) => this.confirmations.set(token, { done, failed }));
    this.client.raw("PING", token);
    return answered;
  }

  private failConfirmations(): void {
    const waiting = [...this.confirmations.values()];
    this.confirmations.clear();
    for (const { failed } of waiting) failed(new DeliveryUnconfirmedError());
  }
}
