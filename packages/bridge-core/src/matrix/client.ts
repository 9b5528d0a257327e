// The application service's HTTP connection to the homeserver. Every request authenticates with the as_token and may
// act as any user in the registration's namespaces through `user_id` (identity assertion).
//
// Retries are where bridges usually go wrong, so the policy is explicit:
// - A rate limit (429 or M_LIMIT_EXCEEDED) means the server did nothing, so it is retried for every method, after the
//   wait the server asks for.
// - A 5xx, a timeout or a network error leaves it unknown whether the request took effect. Only idempotent requests
//   are repeated then: GET, PUT (every PUT in the client-server API is keyed by a path that makes it idempotent, such
//   as a transaction id) and DELETE, or a POST the caller vouches for with `idempotent: true`.
// - Any other 4xx is the caller's problem and is never retried.

import { setTimeout as sleep } from "node:timers/promises";
import { type MxcUri, parseMxcUri, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { readCapped } from "../media/read-capped.ts";
import { MatrixConnectionError, MatrixHttpError, MediaTooLargeError } from "./errors.ts";

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE";
export type QueryParams = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: QueryParams;
  /** Sent as JSON. */
  body?: unknown;
  /** Act as this user (application service identity assertion). */
  asUser?: UserId;
  /** Whether repeating the request after a 5xx or a network failure is safe; by default only GET, PUT, DELETE. */
  idempotent?: boolean;
  /** Per attempt, covering the response body too. */
  timeoutMs?: number;
  /** Retries after the first attempt, instead of the client's own number (someone is waiting for this one). */
  maxRetries?: number;
}

export interface MatrixClientOptions {
  homeserverUrl: string;
  /** The registration's as_token. */
  accessToken: string;
  logger: Logger;
  /** Retries after the first attempt; default 10. */
  maxRetries?: number;
  /** First backoff delay, doubled on each retry; default 500 ms. */
  retryBaseMs?: number;
  /** Aborting it ends every request and every wait between retries at once (the bridge is stopping). */
  signal?: AbortSignal;
  /**
   * Told after every attempt whether the homeserver answered: any HTTP answer but a gateway's 502/503/504 counts as
   * reachable; a refused connection, a timeout or a gateway error as not. The bridge's live health follows it.
   */
  onReachability?: (reachable: boolean, detail?: string) => void;
}

export interface DownloadedMedia {
  data: Uint8Array;
  contentType: string;
}

/** A media download under way: the headers are in, the body is still to be read (or cancelled). */
export interface MediaStream {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** The body's length when the homeserver said it (and did not compress it), else undefined. */
  length: number | undefined;
}

const DEFAULT_MAX_RETRIES = 10;
const DEFAULT_RETRY_BASE_MS = 500;
/** No single wait is longer than this, whatever the server asks for; a server asking for more gets asked again. */
const MAX_RETRY_WAIT_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;
const MAX_ERROR_BODY_CHARS = 2000;

/**
 * Builds a request path from a template, URL-encoding every interpolated segment:
 * matrixPath`/_matrix/client/v3/rooms/${roomId}/state/${type}/${stateKey}`.
 */
export function matrixPath(strings: TemplateStringsArray, ...segments: string[]): string {
  let path = strings[0] ?? "";
  segments.forEach((segment, i) => {
    path += encodeURIComponent(segment) + (strings[i + 1] ?? "");
  });
  return path;
}

export class MatrixClient {
  readonly homeserverUrl: string;
  private readonly accessToken: string;
  private readonly logger: Logger;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onReachability: (reachable: boolean, detail?: string) => void;

  constructor(opts: MatrixClientOptions) {
    this.homeserverUrl = opts.homeserverUrl.replace(/\/+$/, "");
    this.accessToken = opts.accessToken;
    opts.logger.addSecret(opts.accessToken);
    this.logger = opts.logger.child({ component: "matrix-client" });
    this.maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.retryBaseMs = opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.signal = opts.signal;
    this.onReachability = opts.onReachability ?? (() => undefined);
  }

  /** Waits between retries, cut short (with an AbortError) when the client's signal is aborted. */
  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, this.signal ? { signal: this.signal } : {});
  }

  /** A JSON request; resolves with the parsed response body, rejects with MatrixHttpError or MatrixConnectionError. */
  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const payload =
      opts.body === undefined ? {} : { body: JSON.stringify(opts.body), contentType: "application/json" };
    const res = await this.send(method, path, opts, payload);
    const text = await res.text();
    if (text === "") return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${method} ${stripQuery(path)}: response is not JSON`);
    }
  }

  async uploadMedia(
    data: Uint8Array,
    opts: { contentType: string; filename?: string; asUser?: UserId; timeoutMs?: number },
  ): Promise<MxcUri> {
    // Repeating an upload at worst stores the file twice; the bridge only ever uses the uri it gets back.
    const res = await this.send(
      "POST",
      "/_matrix/media/v3/upload",
      {
        query: { filename: opts.filename },
        asUser: opts.asUser,
        idempotent: true,
        timeoutMs: opts.timeoutMs,
      },
      { body: data, contentType: opts.contentType },
    );
    const json = (await res.json()) as { content_uri?: unknown };
    return parseMxcUri(json.content_uri);
  }

  /** Authenticated media download; rejects with MediaTooLargeError past `maxBytes` (default 100 MiB). */
  async downloadMedia(
    mxc: MxcUri,
    opts: { maxBytes?: number; timeoutMs?: number } = {},
  ): Promise<DownloadedMedia> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
    const media = await this.openMedia(
      mxc,
      opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {},
    );
    // The length lets us refuse without reading anything; without it (chunked) the stream is counted instead.
    if (media.length !== undefined && media.length > maxBytes) {
      await media.body.cancel();
      throw new MediaTooLargeError(maxBytes);
    }
    // Leaving the loop early cancels the stream, which ends the download.
    const data = await readCapped(media.body, maxBytes, () => new MediaTooLargeError(maxBytes));
    return { data, contentType: media.contentType };
  }

  /**
   * Starts an authenticated media download and hands over the body unread, for a caller that passes it on as it
   * arrives (the media proxy) instead of holding it in memory. The caller must read or cancel the body. `timeoutMs`
   * covers the whole body, so it must allow for a slow reader.
   */
  async openMedia(mxc: MxcUri, opts: { timeoutMs?: number; maxRetries?: number } = {}): Promise<MediaStream> {
    const [server = "", mediaId = ""] = mxc.slice("mxc://".length).split("/");
    const path = matrixPath`/_matrix/client/v1/media/download/${server}/${mediaId}`;
    const res = await this.send("GET", path, opts, {});
    const declared = res.headers.get("content-length");
    // fetch undoes a Content-Encoding, after which the header no longer gives the body's length.
    const length =
      declared !== null && /^[0-9]+$/.test(declared) && !res.headers.has("content-encoding")
        ? Number(declared)
        : undefined;
    return {
      body: res.body ?? new Blob([]).stream(),
      contentType: res.headers.get("content-type") ?? "application/octet-stream",
      length,
    };
  }

  private async send(
    method: HttpMethod,
    path: string,
    opts: RequestOptions,
    payload: { body?: string | Uint8Array; contentType?: string },
  ): Promise<Response> {
    const url = this.urlFor(path, opts);
    const headers: Record<string, string> = { authorization: `Bearer ${this.accessToken}` };
    if (payload.contentType !== undefined) headers["content-type"] = payload.contentType;
    const idempotent = opts.idempotent ?? method !== "POST";
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const logPath = stripQuery(path);

    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: payload.body as RequestInit["body"],
          signal: this.signal
            ? AbortSignal.any([this.signal, AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)])
            : AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (cause) {
        if (this.signal?.aborted) throw this.signal.reason;
        const error = new MatrixConnectionError({ method, path: logPath, cause });
        this.onReachability(false, error.message);
        if (!idempotent || attempt > maxRetries) throw error;
        const waitMs = this.backoffMs(attempt);
        this.logger.warn("homeserver unreachable, retrying", {
          method,
          path: logPath,
          attempt,
          waitMs,
          error: error.message,
        });
        await this.pause(waitMs);
        continue;
      }
      const gatewayDown = res.status === 502 || res.status === 503 || res.status === 504;
      this.onReachability(!gatewayDown, gatewayDown ? `the homeserver answered ${res.status}` : undefined);
      if (res.ok) return res;

      const error = new MatrixHttpError({
        status: res.status,
        body: await readErrorBody(res),
        method,
        path: logPath,
      });
      const waitMs = this.retryWaitMs(error, res.headers, attempt, idempotent);
      if (waitMs === undefined || attempt > maxRetries) throw error;
      const fields = { method, path: logPath, status: error.status, errcode: error.errcode, attempt, waitMs };
      // Rate limits are routine under load; a failing server is not.
      if (error.status === 429) this.logger.debug("rate limited, retrying", fields);
      else this.logger.warn("homeserver error, retrying", fields);
      await this.pause(waitMs);
    }
  }

  private urlFor(path: string, opts: RequestOptions): URL {
    const url = new URL(this.homeserverUrl + path);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.append(key, String(value));
    }
    if (opts.asUser !== undefined) url.searchParams.set("user_id", opts.asUser);
    return url;
  }

  /** How long to wait before retrying after `error`, or undefined when it must not be retried. */
  private retryWaitMs(
    error: MatrixHttpError,
    headers: Headers,
    attempt: number,
    idempotent: boolean,
  ): number | undefined {
    if (error.status === 429 || error.errcode === "M_LIMIT_EXCEEDED") {
      const asked = retryAfterMsFromBody(error.body) ?? retryAfterMsFromHeader(headers.get("retry-after"));
      return asked === undefined ? this.backoffMs(attempt) : Math.min(asked, MAX_RETRY_WAIT_MS);
    }
    if (error.status >= 500 && idempotent) return this.backoffMs(attempt);
    return undefined;
  }

  /** Exponential backoff with jitter, so that many requests failing together do not all come back together. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(MAX_RETRY_WAIT_MS, this.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}

function stripQuery(path: string): string {
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

function retryAfterMsFromBody(body: unknown): number | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const ms = (body as { retry_after_ms?: unknown }).retry_after_ms;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Retry-After is either a number of seconds or an HTTP date. */
function retryAfterMsFromHeader(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

async function readErrorBody(res: Response): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    // Usually an HTML page from a reverse proxy; enough of it to recognise, not enough to flood the logs.
    return text.slice(0, MAX_ERROR_BODY_CHARS);
  }
}
