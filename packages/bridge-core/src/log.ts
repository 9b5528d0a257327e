// Structured logging: one JSON object per line (or, for a person at a terminal, one readable line: prettySink). Secrets (tokens, passwords) are registered once and replaced wherever
// they appear in a message or a field, and fields whose name says they hold a secret are never written.
//
// Scrubbing walks the values before they are encoded: after encoding, a secret holding `"`, `\` or a control
// character is spelt differently (escaped) in the line and would slip through.

import { appendFileSync } from "node:fs";
import pino from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /token|password|secret|authorization/i;
const REDACTED = "[redacted]";
/**
 * From this length a secret is replaced wherever it occurs, even inside a longer word. A shorter one (a 1–3 character
 * password) is replaced only where it stands alone, not next to other letters or digits: replacing every `ab` would
 * blank out event ids and ordinary words in every line for the rest of the bridge's life.
 */
export const SECRET_ANYWHERE_MIN_LENGTH = 4;
/** Nesting deeper than this is cut: a log line is not the place for it, and a cycle must not hang the writer. */
const MAX_DEPTH = 12;

export type LogFields = Record<string, unknown>;

export interface LogSink {
  write(line: string): void;
}

export const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };
/** Appends each line at once (blocking): for tests and tools that read the file right after writing. */
export function fileSink(path: string): LogSink {
  return { write: (line) => appendFileSync(path, line) };
}

/**
 * Appends lines without blocking the event loop: pino's asynchronous destination (SonicBoom) buffers them and writes
 * in the background, so a slow disk never stalls the bridge. What is buffered is flushed when the process exits.
 * Lines arrive already scrubbed and encoded: the logger scrubs before encoding, whatever the sink.
 */
export function asyncFileSink(path: string): LogSink & { flush(): void } {
  const destination = pino.destination({ dest: path, sync: false, mkdir: true, append: true });
  const flush = () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing written yet (the file not open) is nothing lost.
    }
  };
  process.once("exit", flush);
  return { write: (line) => destination.write(line), flush };
}

const PRETTY_LEVELS: Record<string, string> = {
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
};
const COLOURS: Record<string, string> = { debug: "\x1b[2m", warn: "\x1b[33m", error: "\x1b[31m" };

/**
 * One readable line per record for a person at a terminal: `12:00:00.123 INFO  [network] connected host=… nick=…`,
 * an error's stack on the lines below. It formats the logger's JSON line (already scrubbed) back out, so it shows
 * nothing the JSON would not.
 */
export function prettySink(
  out: { write(text: string): unknown } = process.stderr,
  colour = process.stderr.isTTY === true,
): LogSink {
  return {
    write: (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, component, ...fields } = record;
      const levelName = typeof level === "string" ? level : "info";
      const clock = typeof time === "string" ? time.slice(11, 23) : "";
      const where = typeof component === "string" ? ` [${component}]` : "";
      const stacks: string[] = [];
      const pairs = Object.entries(fields).map(([key, value]) => {
        const stack = (value as { stack?: unknown } | null)?.stack;
        if (typeof stack === "string") stacks.push(stack);
        const text =
          typeof value === "string"
            ? value
            : JSON.stringify(stack === undefined ? value : (value as { message?: unknown }).message);
        return `${key}=${/[\s"=]/.test(text ?? "") ? JSON.stringify(text) : text}`;
      });
      const head = `${clock} ${PRETTY_LEVELS[levelName] ?? levelName}${where} ${String(msg)}${pairs.length > 0 ? ` ${pairs.join(" ")}` : ""}`;
      const start = colour ? (COLOURS[levelName] ?? "") : "";
      const end = start === "" ? "" : "\x1b[0m";
      out.write(
        `${start}${head}${end}\n${stacks.map((st) => `    ${st.replace(/\n/g, "\n    ")}\n`).join("")}`,
      );
    },
  };
}

/**
 * Where lines go by `logging.format` and `logging.file`: a file gets JSON, written asynchronously; stderr gets
 * readable lines when it is a terminal (format auto) or when asked (pretty), else JSON for a collector.
 */
export function sinkFor(options: { format?: "auto" | "pretty" | "json"; file?: string }): LogSink {
  if (options.file !== undefined) return asyncFileSink(options.file);
  const pretty = options.format === "pretty" || (options.format !== "json" && process.stderr.isTTY === true);
  return pretty ? prettySink() : stderrSink;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

class SecretRegistry {
  private readonly secrets = new Set<string>();
  /** One pattern for all of them, longest first, so that a secret inside another never leaves the rest behind. */
  private pattern: RegExp | null = null;

  add(secret: string): void {
    if (secret === "" || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.pattern = null;
  }

  scrub(text: string): string {
    if (this.secrets.size === 0) return text;
    this.pattern ??= this.compile();
    return text.replace(this.pattern, REDACTED);
  }

  private compile(): RegExp {
    const alternatives = [...this.secrets]
      .sort((a, b) => b.length - a.length)
      .map((s) =>
        s.length >= SECRET_ANYWHERE_MIN_LENGTH
          ? escapeRegex(s)
          : `(?<![\\p{L}\\p{N}])${escapeRegex(s)}(?![\\p{L}\\p{N}])`,
      );
    return new RegExp(alternatives.join("|"), "gu");
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

  /** `text` with every registered secret replaced: for text that leaves through another door (health details). */
  scrub(text: string): string {
    return this.secrets.scrub(text);
  }

  /** Never print `secret` again, in any logger of this family (see SECRET_ANYWHERE_MIN_LENGTH for short ones). */
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
    this.sink.write(`${JSON.stringify(this.clean(record, 0, new WeakSet()))}\n`);
  }

  /** A copy of `value` fit to encode: secrets scrubbed from every string, secret-named fields redacted. */
  private clean(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value === "string") return this.secrets.scrub(value);
    if (typeof value === "bigint") return value.toString();
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value)) return "[circular]";
    if (depth >= MAX_DEPTH) return "[too deep]";
    seen.add(value);
    try {
      if (value instanceof Error) {
        const { name, message, stack } = value;
        return this.clean({ name, message, stack }, depth + 1, seen);
      }
      // Dates, URLs, Buffers and the like say what they are through toJSON.
      const json = (value as { toJSON?: unknown }).toJSON;
      if (typeof json === "function") return this.clean(json.call(value), depth + 1, seen);
      if (Array.isArray(value)) return value.map((item) => this.clean(item, depth + 1, seen));
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        out[this.secrets.scrub(key)] =
          SECRET_FIELD.test(key) && typeof item === "string" ? REDACTED : this.clean(item, depth + 1, seen);
      }
      return out;
    } finally {
      seen.delete(value);
    }
  }
}
