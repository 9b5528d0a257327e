// Shared setup for the Matrix client tests: a client pointed at a fake homeserver, with every log line captured.

import type { UserId } from "../../src/ids.ts";
import { parseUserId } from "../../src/ids.ts";
import { Logger } from "../../src/log.ts";
import { MatrixClient } from "../../src/matrix/client.ts";
import type { FakeHomeserver } from "./fake-homeserver.ts";

export const AS_TOKEN = "as-token-0123456789abcdef";
export const BOT: UserId = parseUserId("@bridgebot:example.org");

export interface CapturedLogs {
  logger: Logger;
  lines: string[];
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = Logger.create({ level: "debug", sink: { write: (line) => lines.push(line) } });
  return { logger, lines };
}

export function clientFor(
  hs: FakeHomeserver,
  opts: { maxRetries?: number; retryBaseMs?: number; logger?: Logger } = {},
): MatrixClient {
  return new MatrixClient({
    homeserverUrl: `${hs.url}/`,
    accessToken: AS_TOKEN,
    logger: opts.logger ?? captureLogs().logger,
    maxRetries: opts.maxRetries ?? 3,
    retryBaseMs: opts.retryBaseMs ?? 1,
  });
}
