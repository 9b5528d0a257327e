// The test network's settings (`network.config`): the world it starts with, and which optional parts of the plugin
// contract its plugin leaves out, so that a suite can see the core's fallbacks. Checked once, when the plugin is made,
// as every plugin checks its own settings.

/** Optional parts of the contract the plugin can be made without. `replies`: it quotes instead of threading. */
export const OPTIONAL_FEATURES = ["replies", "sendEdit", "sendRedaction", "sendReaction"] as const;
export type OptionalFeature = (typeof OPTIONAL_FEATURES)[number];

export interface TestNetworkConfig {
  rooms?: { id: string; name?: string; topic?: string; members?: string[] }[];
  users?: { id: string; displayName: string }[];
  /** username → password, for `login`. */
  accounts?: Record<string, string>;
  /** Every Matrix user gets the identity `mx_<localpart>` without logging in (as an XMPP component gives JIDs). */
  automaticIdentities?: boolean;
  /** What the plugin leaves out. */
  without?: OptionalFeature[];
}

/** The settings, or an Error naming the first one that is wrong. */
export function parseTestNetworkConfig(config: Record<string, unknown>): TestNetworkConfig {
  const known = new Set(["rooms", "users", "accounts", "automaticIdentities", "without"]);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new Error(`network.config.${key}: not a setting of the test network`);
  }
  const { rooms, users, accounts, automaticIdentities, without } = config;
  if (
    rooms !== undefined &&
    !(Array.isArray(rooms) && rooms.every((r) => isRecord(r) && typeof r["id"] === "string"))
  )
    throw new Error("network.config.rooms: a list of rooms, each with an id");
  if (
    users !== undefined &&
    !(
      Array.isArray(users) &&
      users.every((u) => isRecord(u) && typeof u["id"] === "string" && typeof u["displayName"] === "string")
    )
  )
    throw new Error("network.config.users: a list of users, each with an id and a displayName");
  if (
    accounts !== undefined &&
    !(isRecord(accounts) && Object.values(accounts).every((p) => typeof p === "string"))
  )
    throw new Error("network.config.accounts: usernames and their passwords");
  if (automaticIdentities !== undefined && typeof automaticIdentities !== "boolean")
    throw new Error("network.config.automaticIdentities: true or false");
  if (
    without !== undefined &&
    !(Array.isArray(without) && without.every((f) => (OPTIONAL_FEATURES as readonly unknown[]).includes(f)))
  )
    throw new Error(`network.config.without: a list of ${OPTIONAL_FEATURES.join(", ")}`);
  return config as TestNetworkConfig;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
