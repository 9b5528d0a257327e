// Starting end-to-end encryption (config `encryption.allow`), or refusing to start with what to set. The registration
// is checked first; MSC4190 shows when the bot's device is made (crypto-device.ts says what to set when refused);
// whether the homeserver delivers to-device events (MSC2409) and key counts (MSC3202) to application services shows
// only in its transactions, so the bridge sends its own device a to-device event and watches for it, without holding
// up the start (a homeserver that backs off from a bridge that was down may take a while to deliver).

import { randomUUID } from "node:crypto";
import type { BridgeConfig } from "../config/schema.ts";
import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { type MatrixClient, matrixPath } from "../matrix/client.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import { missingEncryptionSettings, type Registration } from "../registration/registration.ts";
import type { BridgeStore } from "../store/store.ts";
import type { BridgeCrypto } from "./bridge-crypto.ts";
import { EncryptionSetupError } from "./encryption-names.ts";

const PROBE_TYPE = "org.matrix_bridges.encryption_probe";
/** How long the probe waits before saying what the homeserver seems to lack. */
const PROBE_WAIT_MS = 60_000;

export interface EncryptionStartOptions {
  config: BridgeConfig;
  registration: Registration;
  store: BridgeStore;
  client: MatrixClient;
  intents: IntentFactory;
  /** Double puppets' sends into encrypted rooms are encrypted with the bot's device. */
  doublePuppetIntents: IntentFactory | null;
  isBridgeUser(userId: UserId): boolean;
  networkName: string;
  logger: Logger;
  stopping: AbortSignal;
}

export async function startEncryption(options: EncryptionStartOptions): Promise<BridgeCrypto> {
  const { registration, store, intents, logger } = options;
  const missing = missingEncryptionSettings(registration);
  if (missing.length > 0) {
    throw new EncryptionSetupError(
      `encryption.allow is true, but the registration lacks ${missing.join(", ")}: add them to the registration ` +
        "file the homeserver loads (or generate it again with matrix-bridge -r) and restart the homeserver",
    );
  }
  // Loaded only here: the engine's WebAssembly and in-memory IndexedDB are not wanted by bridges that never encrypt.
  const { BridgeCrypto } = await import("./bridge-crypto.ts");
  const crypto = new BridgeCrypto({
    client: options.client,
    store,
    bot: intents.bot,
    isBridgeUser: options.isBridgeUser,
    isJoined: (roomId, userId) => intents.cache.isJoined(roomId, userId),
    bridgeId: registration.id,
    // The engine encrypts its store with this; it is derived from the store's key, never written down.
    passphrase: store.secrets.derive(`crypto-store:${registration.id}`),
    deviceDisplayName: `${options.networkName} bridge`,
    logger,
  });
  await crypto.start();
  const sealer = crypto.seal.bind(crypto);
  intents.sealer = sealer;
  if (options.doublePuppetIntents !== null) options.doublePuppetIntents.sealer = sealer;
  void probeHomeserver(crypto, options).catch((err: unknown) => {
    if (!options.stopping.aborted)
      logger.warn("could not check the homeserver's encryption settings", { err });
  });
  return crypto;
}

/** Sends the bot's device a to-device event and says what is missing when it, or its key counts, do not come back. */
async function probeHomeserver(crypto: BridgeCrypto, options: EncryptionStartOptions): Promise<void> {
  const { client, intents, logger } = options;
  const bot = await crypto.deviceFor(intents.bot.userId);
  const probeId = randomUUID();
  let toDeviceSeen = false;
  let keyCountsSeen = false;
  const seen = new Promise<void>((resolve) => {
    const stopWatching = crypto.watch((gathered) => {
      const batch = gathered.devices.get(bot.userId)?.get(bot.deviceId);
      if (batch === undefined) return;
      if (batch.toDevice.some((e) => e.type === PROBE_TYPE)) toDeviceSeen = true;
      if (batch.oneTimeKeyCounts.size > 0) keyCountsSeen = true;
      if (toDeviceSeen && keyCountsSeen) {
        stopWatching();
        resolve();
      }
    });
    options.stopping.addEventListener("abort", () => stopWatching());
  });
  await client.request("PUT", matrixPath`/_matrix/client/v3/sendToDevice/${PROBE_TYPE}/${probeId}`, {
    asUser: bot.userId,
    query: { device_id: bot.deviceId },
    body: { messages: { [bot.userId]: { [bot.deviceId]: { probe: probeId } } } },
  });
  const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), PROBE_WAIT_MS).unref());
  if ((await Promise.race([seen, timer])) !== "late") {
    logger.info("the homeserver delivers to-device events and key counts: encryption is working");
    return;
  }
  if (options.stopping.aborted) return;
  const lacking = [
    ...(toDeviceSeen
      ? []
      : ["to-device events (MSC2409: Synapse's experimental_features.msc2409_to_device_messages_enabled)"]),
    ...(keyCountsSeen
      ? []
      : ["one-time key counts (MSC3202: Synapse's experimental_features.msc3202_transaction_extensions)"]),
  ];
  logger.error(
    `the homeserver has not delivered ${lacking.join(" or ")} in ${PROBE_WAIT_MS / 1000} s: encrypted rooms will not ` +
      "work until that is turned on in the homeserver's config",
  );
}
