export { createAppserviceApp, listen } from "./appservice/server.ts";
export { Bridge, type BridgeOptions } from "./bridge/bridge.ts";
export { HomeserverPingError } from "./bridge/homeserver-ping.ts";
export { escapeAliasPart } from "./bridge/naming.ts";
export { MAX_DISPLAY_NAME_LENGTH, sanitizeDisplayName, singleLine } from "./bridge/relay-text.ts";
export { type Command, type CommandContext, CommandUsageError } from "./commands/registry.ts";
export { ConfigError, loadConfig, parseConfig } from "./config/load.ts";
export type { BridgeConfig } from "./config/schema.ts";
export * from "./ids.ts";
export * from "./log.ts";
export { MatrixClient } from "./matrix/client.ts";
export { MatrixConnectionError, MatrixHttpError } from "./matrix/errors.ts";
export type { Intent } from "./matrix/intent.ts";
export type { IntentFactory } from "./matrix/intents.ts";
export {
  fetchRemoteMedia,
  type RemoteMedia,
  RemoteMediaError,
  type RemoteMediaFailure,
  type RemoteMediaOptions,
} from "./media/remote-media.ts";
export * from "./network.ts";
export {
  generateDoublePuppetRegistration,
  generateRegistration,
  loadRegistration,
  type Registration,
  RegistrationError,
  writeRegistration,
} from "./registration/registration.ts";
export { escapeLocalpart, fillTemplate, matchTemplate, unescapeLocalpart } from "./registration/templates.ts";
export { LevelStore } from "./store/level-store.ts";
export { openStore } from "./store/open-store.ts";
export { PG_DEFAULTS, PgStore } from "./store/pg-store.ts";
export { StoreVersionError } from "./store/schema-version.ts";
export {
  defaultKeyFile,
  isSealedSecret,
  type SealedSecret,
  SecretKeyFileError,
  SecretVault,
} from "./store/secret-vault.ts";
export type { BridgeStore, EventLink, RoomLink, StoreHealth } from "./store/store.ts";
