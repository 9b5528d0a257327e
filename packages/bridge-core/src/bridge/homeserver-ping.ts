// At start-up the bridge asks the homeserver to ping it back (`POST /_matrix/client/v1/appservice/{id}/ping`). If the
// homeserver cannot reach the bridge, nothing would ever be bridged, so the bridge stops with a message that names
// the URL that failed and what to check, instead of running deaf.

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

export async function pingHomeserver(options: {
  client: MatrixClient;
  registration: Registration;
  transactionId: string;
}): Promise<number> {
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
        return result.duration_ms ?? 0;
      } catch (err) {
        const retry =
          (err instanceof MatrixConnectionError && Date.now() <= deadline) ||
          (saysUnreachable(err) && ++unreachable < UNREACHABLE_ATTEMPTS);
        if (!retry) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  } catch (err) {
    if (err instanceof MatrixHttpError)
      throw new HomeserverPingError(`Homeserver ping failed: ${explain(err, registration)}`);
    throw new HomeserverPingError(
      `Homeserver ping failed: cannot reach the homeserver at ${client.homeserverUrl} (${(err as Error).message}); check homeserver.url in the config`,
    );
  }
}
