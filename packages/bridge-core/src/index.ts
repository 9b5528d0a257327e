// `bridge-core`: what a network plugin is written against. The contract (network.ts and the files it names), the ids
// both sides use, and the few helpers a plugin needs. Running a bridge is `bridge-core/bridge` (embed.ts).

// A portal's alias, for a plugin command that names the room a remote room is bridged to (IRC's `join`).
export { escapeAliasPart } from "./bridge/naming.ts";
export { sanitizeDisplayName, singleLine } from "./bridge/relay-text.ts";
export * from "./ids.ts";
export type { LogFields, LogLevel } from "./log.ts";
export { Logger } from "./log.ts";
export { RemoteMediaError, type RemoteMediaFailure } from "./media/remote-media.ts";
export * from "./network.ts";
export * from "./network-commands.ts";
export * from "./network-remote-events.ts";
export * from "./rich-text.ts";
// SecretVault itself: for a plugin reading credentials it sealed under a key file of its own (IRC's legacy one).
export { isSealedSecret, type SealedSecret, SecretVault } from "./store/secret-vault.ts";
