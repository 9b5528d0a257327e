// Ending the HTTP listener at shutdown without waiting on the homeserver's idle keep-alive connections.

import type { Server } from "node:http";

/** How long requests in flight get to finish at shutdown; one cut off is retried by the homeserver, never lost. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Stops listening and ends the connections. Idle keep-alive connections are closed as they become idle (the
 * homeserver keeps some open without a request on them, which would hold `close` for seconds).
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cutoff = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cutoff);
      resolve();
    });
    server.closeIdleConnections();
  });
}
