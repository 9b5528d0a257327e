export { Bridge, type BridgeOptions } from "./bridge/bridge.ts";
export { HomeserverPingError } from "./bridge/homeserver-ping.ts";
export { ConfigError, loadConfig, parseConfig } from "./config/load.ts";
export type { BridgeConfig } from "./config/schema.ts";
export * from "./ids.ts";
export * from "./log.ts";
export * from "./network.ts";
export { LevelStore } from "./store/level-store.ts";
export type { BridgeStore, EventLink, RoomLink } from "./store/store.ts";
