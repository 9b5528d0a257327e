// Double puppeting acts as real local users through a second registration's token (`double_puppet` in the config).

import type { BridgeConfig } from "../config/schema.ts";
import { makeUserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { MatrixClient } from "../matrix/client.ts";
import { IntentFactory } from "../matrix/intents.ts";
import { MembershipCache } from "../matrix/membership-cache.ts";
import { loadRegistration } from "../registration/registration.ts";

/** The intents of the double-puppet registration, or null when none is configured. */
export function makeDoublePuppetIntents(config: BridgeConfig, logger: Logger): IntentFactory | null {
  if (!config.doublePuppet) return null;
  const registration = loadRegistration(config.doublePuppet.registrationPath);
  logger.addSecret(registration.as_token);
  logger.addSecret(registration.hs_token);
  const client = new MatrixClient({
    homeserverUrl: config.homeserver.url,
    accessToken: registration.as_token,
    logger: logger.child({ component: "double-puppet-client" }),
  });
  const botUserId = makeUserId(registration.sender_localpart, config.homeserver.domain);
  return new IntentFactory({ client, botUserId, cache: new MembershipCache() });
}
