// At start-up the bridge asks the homeserver to ping it back (`POST /_matrix/client/v1/appservice/{id}/ping`). If the
// homeserver cannot reach the bridge, nothing would ever be bridged, so the bridge stops with a message that names
// the URL that failed and what to check, instead of running deaf.
//
// The endpoint arrived with Matrix v1.7; a homeserver from before it (Dendrite 0.13 lists up to v1.2) answers 404
// M_UNRECOGNIZED. That is no broken setup, so the bridge falls back to what it can still check — that the homeserver
// accepts its as_token for the bot (`whoami` as the bot) — and warns that the way back to the bridge is unverified.

import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import { MatrixConnectionError, MatrixHttpError } from "../matrix/errors.ts";
import type { Registration } from "../registration/registration.ts";

export class HomeserverPingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HomeserverPingError";
  }
}

function explain(err: MatrixHttpError, registration: Registration): string {
  const url = registration.url ?? "(no url)";
  const body = err.body as { error?: unknown } | undefined;
  const detail = typeof body?.error === "string" ? ` (${body.error})` : "";
  switch (err.errcode) {
    case "M_URL_NOT_SET":
      return `the registration file the homeserver loaded has no url for application service "${registration.id}"; regenerate it with -r -u <url> and restart the homeserver`;
    case "M_CONNECTION_FAILED":
    case "M_CONNECTION_TIMEOUT":
      return `the homeserver could not connect to the bridge at ${url}${detail}; check that the bridge listens there (appservice.bind_address and appservice.port, or -p) and that the homeserver can reach that address`;
    case "M_BAD_STATUS":
      return `the homeserver reached ${url} but got an error back${detail}; check that the hs_token in the homeserver's copy of the registration file matches the bridge's`;
    case "M_FORBIDDEN":
    case "M_UNKNOWN_TOKEN":
      return `the homeserver did not accept the bridge's as_token for "${registration.id}"${detail}; check that the homeserver loads this registration file (app_service_config_files) and was restarted after it changed`;
    default:
      return `the homeserver answered ${err.status} ${err.errcode}${detail} when asked to ping the bridge at ${url}`;
  }
}

/** A homeserver that is still starting refuses connections for a while; a bridge started beside it waits this long. */
const HOMESERVER_START_WAIT_MS = 30_000;
/**
 * Times the homeserver may say it could not reach the bridge before the bridge believes it. Synapse's own HTTP client
 * has been seen to fail a ping to a bridge that had just come back, with an internal error, and then succeed.
 */
const UNREACHABLE_ATTEMPTS = 3;

function saysUnreachable(err: unknown): boolean {
  return (
    err instanceof MatrixHttpError &&
    (err.errcode === "M_CONNECTION_FAILED" || err.errcode === "M_CONNECTION_TIMEOUT")
  );
}

/**
 * What a homeserver without the ping endpoint answers: 404 (or 405) with M_UNRECOGNIZED, as the spec asks of unknown
 * endpoints. A 404 without an errcode is not taken for it: that is more likely a proxy or a wrong homeserver.url, and
 * the whoami fallback would not tell the two apart as clearly as the ping's own error does.
 */
function lacksPingEndpoint(err: unknown): boolean {
  return (
    err instanceof MatrixHttpError &&
    (err.status === 404 || err.status === 405) &&
    err.errcode === "M_UNRECOGNIZED"
  );
}

/** How the homeserver was checked: pinged (it reached the bridge), or only the as_token (no ping endpoint). */
export type PingOutcome = { pinged: true; durationMs: number } | { pinged: false };

export async function pingHomeserver(options: {
  client: MatrixClient;
  registration: Registration;
  transactionId: string;
  /** Whom whoami must name in the fallback; without it, any user whose localpart is the registration's sender. */
  botUserId?: UserId;
  /** Where the fallback's warning goes. */
  logger?: Logger;
}): Promise<PingOutcome> {
  const { client, registration, transactionId } = options;
  const path = `/_matrix/client/v1/appservice/${encodeURIComponent(registration.id)}/ping`;
  const deadline = Date.now() + HOMESERVER_START_WAIT_MS;
  let unreachable = 0;
  try {
    for (;;) {
      try {
        // Not marked idempotent: a 502 from the homeserver is the answer (it could not reach us), not a glitch to retry.
        const result = await client.request<{ duration_ms?: number }>("POST", path, {
          body: { transaction_id: transactionId },
        });
        return { pinged: true, durationMs: result.duration_ms ?? 0 };
      } catch (err) {
        if (lacksPingEndpoint(err)) return await checkWithoutPing(options);
        const retry =
          (err instanceof MatrixConnectionError && Date.now() <= deadline) ||
          (saysUnreachable(err) && ++unreachable < UNREACHABLE_ATTEMPTS);
        if (!retry) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  } catch (err) {
    if (err instanceof HomeserverPingError) throw err;
    if (err instanceof MatrixHttpError)
      throw new HomeserverPingError(`Homeserver ping failed: ${explain(err, registration)}`);
    throw new HomeserverPingError(
      `Homeserver ping failed: cannot reach the homeserver at ${client.homeserverUrl} (${(err as Error).message}); check homeserver.url in the config`,
    );
  }
}

/**
 * The fallback for a homeserver without the ping endpoint: `whoami` as the bot proves the homeserver loaded this
 * registration (it accepts the as_token and the bot is in its namespace). Whether it can reach the bridge's URL stays
 * unknown until the first transaction arrives, so that is said in a warning.
 */
async function checkWithoutPing(options: {
  client: MatrixClient;
  registration: Registration;
  botUserId?: UserId;
  logger?: Logger;
}): Promise<PingOutcome> {
  const { client, registration, botUserId, logger } = options;
  // Without user_id, the as_token acts as the registration's sender: the bot either way.
  const bot = botUserId ?? `@${registration.sender_localpart}:…`;
  let whoami: { user_id?: unknown };
  try {
    whoami = await client.request<{ user_id?: unknown }>(
      "GET",
      "/_matrix/client/v3/account/whoami",
      botUserId === undefined ? {} : { asUser: botUserId },
    );
  } catch (err) {
    if (err instanceof MatrixHttpError) {
      const body = err.body as { error?: unknown } | undefined;
      const detail = typeof body?.error === "string" ? ` (${body.error})` : "";
      throw new HomeserverPingError(
        `Homeserver check failed: the homeserver has no ping endpoint, and it answered ${err.status} ${err.errcode}${detail} to whoami as ${bot}; check that it loads this registration file and was restarted after it changed`,
      );
    }
    throw err;
  }
  const isBot =
    botUserId !== undefined
      ? whoami.user_id === botUserId
      : typeof whoami.user_id === "string" && whoami.user_id.startsWith(`@${registration.sender_localpart}:`);
  if (!isBot) {
    throw new HomeserverPingError(
      `Homeserver check failed: whoami with the as_token of "${registration.id}" answered ${String(whoami.user_id)}, not the bot ${bot}`,
    );
  }
  logger?.warn(
    "the homeserver has no application service ping endpoint (before Matrix v1.7); checked the as_token with whoami instead, so whether it can reach the bridge is known only when its first transaction arrives",
    { url: registration.url ?? null },
  );
  return { pinged: false };
}
