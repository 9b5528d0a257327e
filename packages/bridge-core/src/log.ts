// Structured logging: one JSON object per line. Secrets (tokens, passwords) are registered once and replaced wherever
// they appear in a message or a field, and fields whose name says they hold a secret are never written.

import { appendFileSync } from "node:fs";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /token|password|secret|authorization/i;
const REDACTED = "[redacted]";

export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(line: string): void;
}

export const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };
export function fileSink(path: string): LogSink {
  return { write: (line) => appendFileSync(path, line) };
}

class SecretRegistry {
  private readonly secrets = new Set<string>();
  add(secret: string): void {
    // Short strings would redact ordinary words; real tokens and passwords we must hide are longer.
    if (secret.length >= 6) this.secrets.add(secret);
  }
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }
}

export class Logger {
  private readonly sink: LogSink;
  private readonly minLevel: number;
  private readonly context: LogFields;
  private readonly secrets: SecretRegistry;

  private constructor(sink: LogSink, minLevel: number, context: LogFields, secrets: SecretRegistry) {
    this.sink = sink;
    this.minLevel = minLevel;
    this.context = context;
    this.secrets = secrets;
  }

  static create(options: { level?: LogLevel; sink?: LogSink } = {}): Logger {
    return new Logger(options.sink ?? stderrSink, LEVELS[options.level ?? "info"], {}, new SecretRegistry());
  }

  /** A logger that adds `fields` to every line, sharing this one's sink and secrets. */
  child(fields: LogFields): Logger {
    return new Logger(this.sink, this.minLevel, { ...this.context, ...fields }, this.secrets);
  }

  /** Never print `secret` again, in any logger of this family. */
  addSecret(secret: string): void {
    this.secrets.add(secret);
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LEVELS[level] < this.minLevel) return;
    const record = { time: new Date().toISOString(), level, msg, ...this.context, ...fields };
    const line = JSON.stringify(record, (key, value) => {
      if (key !== "" && SECRET_FIELD.test(key) && typeof value === "string") return REDACTED;
      if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
      if (typeof value === "bigint") return value.toString();
      return value;
    });
    this.sink.write(`${this.secrets.scrub(line)}\n`);
  }
}
