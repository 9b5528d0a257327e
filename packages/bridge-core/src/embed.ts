// `bridge-core/bridge`: what a program that runs a bridge needs (the `matrix-bridge` command, tests, benchmarks): the
// Bridge, its config and registration, the stores, and the Matrix client. A plugin needs none of it (index.ts). The
// PostgreSQL store class is in `bridge-core/postgres` (postgres.ts), so that importing this does not load `pg`.

export { createAppserviceApp, listen } from "./appservice/server.ts";
export { Bridge, type BridgeOptions } from "./bridge/bridge.ts";
export { HomeserverPingError } from "./bridge/homeserver-ping.ts";
export { ConfigError, loadConfig, parseConfig } from "./config/load.ts";
export type { BridgeConfig } from "./config/schema.ts";
export * from "./log.ts";
export { MatrixClient } from "./matrix/client.ts";
export { MatrixConnectionError, MatrixHttpError } from "./matrix/errors.ts";
export type { Intent } from "./matrix/intent.ts";
export type { IntentFactory } from "./matrix/intents.ts";
export { fetchRemoteMedia, type RemoteMedia, type RemoteMediaOptions } from "./media/remote-media.ts";
export {
  generateDoublePuppetRegistration,
  generateRegistration,
  loadRegistration,
  type Registration,
  RegistrationError,
  writeRegistration,
} from "./registration/registration.ts";
export { LevelStore } from "./store/level-store.ts";
export { openStore } from "./store/open-store.ts";
export { PG_DEFAULTS } from "./store/pg-defaults.ts";
export { StoreVersionError } from "./store/schema-version.ts";
export { defaultKeyFile, SecretKeyFileError, SecretVault } from "./store/secret-vault.ts";
export type { BridgeStore, EventLink, RoomLink, StoreHealth } from "./store/store.ts";
export { escapeLocalpart, fillTemplate, matchTemplate, unescapeLocalpart } from "./templates.ts";
