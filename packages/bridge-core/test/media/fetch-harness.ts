// What the remote media suites share: a fresh local server per test, a scriptable resolver, and a fetch that sends
// whatever address passes the checks to that server.

import assert from "node:assert/strict";
import { afterEach, beforeEach } from "node:test";
import {
  fetchRemoteMediaRouted,
  type RemoteMedia,
  RemoteMediaError,
  type RemoteMediaFailure,
  type RemoteMediaOptions,
  type ResolvedAddress,
} from "../../src/media/remote-media.ts";
import { LocalServer } from "./local-server.ts";

// Public-looking addresses the fake resolver hands out. Nothing ever connects to them: fetches that get past the
// checks go through `route` below, which sends every connection to the local server instead.
export const PUBLIC = "93.184.216.34";
export const PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c";
const LOOPBACK: ResolvedAddress = { address: "127.0.0.1", family: 4 };

export let server: LocalServer;
/** The checked addresses that fetches connected to (by way of the local server). */
export let dialed: string[];

beforeEach(async () => {
  server = await LocalServer.start();
  dialed = [];
});
afterEach(() => server.close());

/** A resolver from a table; a function entry sees how often the name was asked before (for rebinding). */
export function fakeDns(table: Record<string, string[] | ((asked: number) => string[])>) {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<ResolvedAddress[]> => {
    const asked = calls.filter((name) => name === host).length;
    calls.push(host);
    const entry = table[host];
    if (entry === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    const answers = typeof entry === "function" ? entry(asked) : entry;
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { lookup, calls };
}

/** Fetches as the bridge would, except that whatever address passes the checks is reached on the local server. */
export function fetchVia(url: string, options: Partial<RemoteMediaOptions> = {}): Promise<RemoteMedia> {
  return fetchRemoteMediaRouted(url, { maxBytes: 1024 * 1024, timeoutMs: 5000, ...options }, (checked) => {
    dialed.push(checked.address);
    return LOOPBACK;
  });
}

export async function refused(
  promise: Promise<unknown>,
  reason: RemoteMediaFailure,
): Promise<RemoteMediaError> {
  const err = await promise.then(
    () => assert.fail(`expected a refusal (${reason})`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RemoteMediaError, `not a RemoteMediaError: ${String(err)}`);
  assert.equal(err.reason, reason, err.message);
  return err;
}

export function text(media: RemoteMedia): string {
  return Buffer.from(media.data).toString();
}
