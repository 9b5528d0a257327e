// Fetching files from links that remote users supply (XMPP out-of-band URLs, Telegram file links, link previews).
// Such a link is chosen by someone on the other network, so fetching it blindly would let them make the bridge
// reach whatever the bridge host can reach: the homeserver's admin API, cloud metadata endpoints, services on
// localhost. Every hop is therefore checked before any connection is made: only http(s), no credentials in the URL,
// and every address the host name resolves to must be public. The connection then goes to exactly the addresses that
// were checked, never through a second DNS lookup that an attacker's name server could answer differently.

import { lookup as dnsLookup } from "node:dns/promises";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isPublicAddress } from "./address-policy.ts";
import { filenameFrom } from "./filename.ts";
import { readCapped } from "./read-capped.ts";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface RemoteMediaOptions {
  /** The largest body accepted, in bytes; a larger declared length is refused unread, a longer stream is cut off. */
  maxBytes: number;
  /** For the whole fetch, redirects and name lookups included. Default 30 seconds. */
  timeoutMs?: number;
  /** Let links reach private, loopback and other reserved addresses: only for bridges inside a trusted network. */
  allowPrivateAddresses?: boolean;
  /** Redirects followed before giving up; each hop is checked like the first. Default 3. */
  maxRedirects?: number;
  /** Resolves a host name to every address it has; defaults to the system resolver (`dns.lookup`, all addresses). */
  lookup?: (host: string) => Promise<ResolvedAddress[]>;
}

export interface RemoteMedia {
  data: Uint8Array;
  /** The Content-Type the server declared, `application/octet-stream` when it declared none. */
  contentType: string;
  /** From Content-Disposition, else the last segment of the final URL's path, when either gives one. */
  filename?: string;
}

/** Why a fetch was refused or failed. */
export type RemoteMediaFailure =
  /** Not an http(s) link. */
  | "scheme"
  /** Not a valid URL, or one carrying a user name or password. */
  | "url"
  /** The host is, or resolves to, a private, loopback or otherwise reserved address. */
  | "address"
  | "too_large"
  | "timeout"
  /** The server answered with something other than success or a redirect. */
  | "status"
  | "redirects"
  /** The name did not resolve, or the connection failed or broke off. */
  | "network";

/**
 * A refused or failed fetch. The message never names an address the link resolved to (that would tell the sender
 * about the bridge's network), so it can be shown to the Matrix user as it is; `cause` keeps the low-level error.
 */
export class RemoteMediaError extends Error {
  readonly reason: RemoteMediaFailure;
  /** The HTTP status, for `reason: "status"`. */
  readonly status?: number;

  constructor(reason: RemoteMediaFailure, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = "RemoteMediaError";
    this.reason = reason;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `url` with a GET, refusing links into private networks (see the module comment), following redirects
 * itself and checking each hop, and holding the body to `maxBytes`. Rejects with a {@link RemoteMediaError}.
 */
export function fetchRemoteMedia(url: string, options: RemoteMediaOptions): Promise<RemoteMedia> {
  return fetchRemoteMediaRouted(url, options, (address) => address);
}

/**
 * The same fetch, with each checked address passed through `route` just before connecting. Tests use it to stand a
 * local server in for a public address while every check still sees the public one; the bridge never does, and the
 * package does not export it.
 */
export async function fetchRemoteMediaRouted(
  url: string,
  options: RemoteMediaOptions,
  route: (address: ResolvedAddress) => ResolvedAddress,
): Promise<RemoteMedia> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetchHops(url, options, route, controller.signal);
  } catch (err) {
    if (err instanceof RemoteMediaError) throw err;
    if (controller.signal.aborted) {
      throw new RemoteMediaError("timeout", `the download did not finish within ${formatSeconds(timeoutMs)}`);
    }
    throw new RemoteMediaError("network", "the server could not be reached, or the download broke off", {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function fetchHops(
  url: string,
  options: RemoteMediaOptions,
  route: (address: ResolvedAddress) => ResolvedAddress,
  signal: AbortSignal,
): Promise<RemoteMedia> {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let target = parseLink(url);
  for (let redirects = 0; ; redirects++) {
    const addresses = await vetHost(target, options, signal);
    const { req, res } = await get(target, addresses.map(route), signal);
    const status = res.statusCode ?? 0;

    if (REDIRECT_STATUSES.has(status)) {
      // The body of a redirect is of no use, and with a fresh connection per hop there is nothing to keep alive.
      req.destroy();
      const location = res.headers.location;
      if (location === undefined) {
        throw new RemoteMediaError(
          "status",
          `the server answered with a redirect (HTTP ${status}) to nowhere`,
          {
            status,
          },
        );
      }
      if (redirects >= maxRedirects) {
        throw new RemoteMediaError(
          "redirects",
          maxRedirects === 0
            ? "the link redirects elsewhere, and redirects are not followed"
            : `the link redirected more than ${maxRedirects} ${maxRedirects === 1 ? "time" : "times"}`,
        );
      }
      target = parseLink(location, target);
      continue;
    }

    if (status < 200 || status > 299) {
      req.destroy();
      throw new RemoteMediaError("status", `the server answered with HTTP ${status}`, { status });
    }

    const data = await readBody(req, res, options.maxBytes);
    const contentType = res.headers["content-type"] ?? "application/octet-stream";
    const filename = filenameFrom(res.headers["content-disposition"], target);
    return { data, contentType, ...(filename !== undefined && { filename }) };
  }
}

/** Parses a link (relative to `base` for a redirect's Location) and refuses what may never be fetched. */
function parseLink(link: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(link, base);
  } catch {
    throw new RemoteMediaError("url", "the link is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RemoteMediaError("scheme", "only http and https links can be fetched");
  }
  if (url.username !== "" || url.password !== "") {
    throw new RemoteMediaError("url", "links carrying a user name or password are not fetched");
  }
  return url;
}

/**
 * The addresses to connect to for this URL's host, all of them checked. A name with even one non-public address is
 * refused outright: a name that mixes them is either misconfigured or probing the bridge's network.
 */
async function vetHost(
  url: URL,
  options: RemoteMediaOptions,
  signal: AbortSignal,
): Promise<ResolvedAddress[]> {
  // The WHATWG parser has already rewritten every IPv4 spelling (2130706433, 0x7f.1, 0177.0.0.1, 127.1) as dotted
  // decimal and every IPv6 one as compressed hex, so isIP sees literal hosts whatever way they were written.
  const host = hostOf(url);
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    addresses = [{ address: host, family: literal }];
  } else {
    const resolve = options.lookup ?? systemLookup;
    let answers: ResolvedAddress[];
    try {
      answers = await abortable(resolve(host), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new RemoteMediaError("network", "the link's host name could not be resolved", { cause: err });
    }
    addresses = answers.map(({ address }) => {
      const family = isIP(address.split("%")[0] ?? "");
      if (family !== 4 && family !== 6) {
        throw new RemoteMediaError("network", "the link's host name could not be resolved");
      }
      return { address, family };
    });
    if (addresses.length === 0) {
      throw new RemoteMediaError("network", "the link's host name could not be resolved");
    }
  }
  if (!options.allowPrivateAddresses && !addresses.every(({ address }) => isPublicAddress(address))) {
    throw new RemoteMediaError(
      "address",
      "the link leads to a private or reserved network address, which the bridge does not fetch from",
    );
  }
  return addresses;
}

/** The URL's host without the brackets of an IPv6 literal. */
function hostOf(url: URL): string {
  const { hostname } = url;
  return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
}

async function systemLookup(host: string): Promise<ResolvedAddress[]> {
  const answers = await dnsLookup(host, { all: true, order: "verbatim" });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/** Sends the GET for one hop, connecting only to `addresses`, and resolves once the response headers are in. */
function get(
  url: URL,
  addresses: ResolvedAddress[],
  signal: AbortSignal,
): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  const host = hostOf(url);
  const [first] = addresses;
  if (first === undefined)
    throw new RemoteMediaError("network", "the link's host name could not be resolved");
  // A literal host needs no lookup: connect to it (as routed) directly. A name stays the request's host name, so that
  // the Host header, TLS SNI and certificate check all use it, while the lookup hands over the checked addresses
  // instead of asking DNS again.
  const literal = isIP(host) !== 0;
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    process.nextTick(() => {
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      protocol: url.protocol,
      hostname: literal ? first.address : host,
      ...(url.port !== "" && { port: Number(url.port) }),
      path: url.pathname + url.search,
      method: "GET",
      headers: {
        host: url.host,
        accept: "*/*",
        "accept-encoding": "identity",
        "user-agent": "matrix-bridge",
      },
      ...(!literal && { lookup: pinned }),
      // A pooled connection might have been opened under another call's rules (say, with private addresses
      // allowed); each hop gets its own.
      agent: false,
      signal,
    });
    req.on("response", (res) => {
      // Errors on the body surface through the reader; this only keeps an early one from going unhandled.
      res.on("error", () => {});
      resolve({ req, res });
    });
    // Stays attached after the response, so that a late socket error never goes unhandled.
    req.on("error", reject);
    req.end();
  });
}

async function readBody(req: ClientRequest, res: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  // A declared length lets us refuse without reading anything; without one (chunked), the stream is counted.
  const declared = res.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.destroy();
    throw tooLarge(maxBytes);
  }
  return readCapped(res, maxBytes, () => {
    req.destroy();
    return tooLarge(maxBytes);
  });
}

function tooLarge(maxBytes: number): RemoteMediaError {
  return new RemoteMediaError("too_large", `the file is larger than the limit of ${formatBytes(maxBytes)}`);
}

/** Rejects when `signal` aborts, for steps (name lookups) that take no signal of their own. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? "byte" : "bytes"}`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

function formatSeconds(ms: number): string {
  const seconds = Number((ms / 1000).toFixed(1));
  return `${seconds} ${seconds === 1 ? "second" : "seconds"}`;
}
