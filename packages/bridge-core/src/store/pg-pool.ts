// The PostgreSQL store's connections: a pool from `pg`, and one rule for a lost database. A query that fails because
// the server cannot be reached (restarting, a failover, the network) is tried again with growing pauses for up to
// `retrySeconds`, and the store reports itself unhealthy meanwhile; only then does the operation fail. Every write
// the store makes is safe to send twice (upserts, inserts that skip a row already there), so a retry after a commit
// whose answer was lost changes nothing.

import pg from "pg";
import type { StoreLog } from "./schema-version.ts";
import type { StoreHealth } from "./store.ts";

export interface PgPoolOptions {
  url: string;
  /** Connections the store keeps at most. */
  poolSize: number;
  connectTimeoutMs: number;
  /** The server cancels a statement that runs longer (a lock never released, a runaway scan). */
  statementTimeoutMs: number;
  /** How long operations wait for a lost database to come back before they fail. */
  retryMs: number;
  log?: StoreLog;
}

export type Row = Record<string, unknown>;

// SQLSTATE classes and codes that mean "the server went away or is not accepting work yet", not "the query is wrong".
const CONNECTION_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 5000;

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || CONNECTION_ERRNOS.has(code))) return true;
  // pg's own words for a socket that closed under a query or a connect that timed out.
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    err.message,
  );
}

/** A connection string's password never reaches a message the bridge logs or shows. */
export const withoutPassword = (text: string): string => text.replace(/(\/\/[^/\s:@]*:)[^@\s/]*@/g, "$1***@");

export class PgPool {
  readonly pool: pg.Pool;
  private readonly options: PgPoolOptions;
  private lastError: string | null = null;
  /** A look at the database is under way (see health). */
  private asking = false;

  constructor(options: PgPoolOptions) {
    this.options = options;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server closed is reported here; without a listener it would end the process. The pool
    // drops it and the next query connects anew.
    this.pool.on("error", (err) => this.failed(err));
  }

  /**
   * Whether the database answered last time. Each look also asks it again in the background (one question at a
   * time), so that an idle bridge, which makes no query of its own, still sees the database go and come back.
   */
  health(): StoreHealth {
    if (!this.asking) {
      this.asking = true;
      this.pool
        .query("SELECT 1")
        .then(() => this.answered())
        .catch((err: unknown) => this.failed(err as Error))
        .finally(() => {
          this.asking = false;
        });
    }
    return this.lastError === null ? { ok: true } : { ok: false, detail: this.lastError };
  }

  private answered(): void {
    if (this.lastError === null) return;
    this.lastError = null;
    this.options.log?.("the database can be reached again");
  }

  /** Runs one statement (atomic on its own), retrying while the database cannot be reached. */
  async query<R extends object = Row>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.retrying(async () => (await this.pool.query(text, values)).rows as R[]);
  }

  /** Runs `work` in one database transaction on one connection, retried whole if the connection was lost. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        broken = isConnectionError(err);
        if (!broken) await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.retryMs;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      try {
        const result = await attempt();
        this.answered();
        return result;
      } catch (err) {
        if (!isConnectionError(err) || Date.now() + pause > deadline) throw err;
        this.failed(err as Error);
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
      }
    }
  }

  private failed(err: Error): void {
    const detail = withoutPassword(`database unreachable: ${err.message}`);
    if (this.lastError === null)
      this.options.log?.("the database cannot be reached; retrying", { error: detail });
    this.lastError = detail;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
