// What each Matrix user chose for their puppet, kept in the plugin's storage so it outlives restarts and idle
// disconnects: the nick they picked with `nick`, and the services login they stored with `storepass` (the password
// sealed with the bridge's key through NetworkContext.secrets; only the account name is kept readable).

import {
  isSealedSecret,
  type Logger,
  type NetworkContext,
  type SealedSecret,
  SecretVault,
  type UserId,
} from "bridge-core";
import type { Credentials } from "./irc-login.ts";

type Storage = NetworkContext["storage"];
type Secrets = NetworkContext["secrets"];

interface StoredLogin {
  account: string;
  password: SealedSecret;
}

function isStoredLogin(value: unknown): value is StoredLogin {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["account"] === "string" && isSealedSecret(v["password"]);
}

const nickKey = (userId: UserId) => `puppet-nick:${userId}`;
const loginKey = (userId: UserId) => `puppet-login:${userId}`;

export class PuppetSettings {
  private readonly storage: Storage;
  private readonly secrets: Secrets;
  /** The key this plugin sealed passwords with before the bridge had one for every credential. */
  private readonly legacy: SecretVault | null;
  private readonly logger: Logger;

  constructor(options: { storage: Storage; secrets: Secrets; legacy?: SecretVault | null; logger: Logger }) {
    this.storage = options.storage;
    this.secrets = options.secrets;
    this.legacy = options.legacy ?? null;
    this.logger = options.logger;
  }

  async nick(userId: UserId): Promise<string | undefined> {
    const nick = await this.storage.get(nickKey(userId));
    return typeof nick === "string" ? nick : undefined;
  }

  async setNick(userId: UserId, nick: string): Promise<void> {
    await this.storage.put(nickKey(userId), nick);
  }

  /** The user's services login, decrypted, or undefined when there is none or it cannot be read any more. */
  async credentials(userId: UserId): Promise<Credentials | undefined> {
    const stored = await this.storage.get(loginKey(userId));
    if (stored === undefined || stored === null) return undefined;
    if (!isStoredLogin(stored)) {
      this.logger.warn("a stored IRC password is not a sealed record; ignoring it", { userId });
      return undefined;
    }
    const password = this.secrets.open(userId, stored.password) ?? (await this.fromLegacy(userId, stored));
    if (password === null) {
      this.logger.warn("a stored IRC password does not open with the bridge's key (store.key_file)", {
        userId,
      });
      return undefined;
    }
    return { account: stored.account, password };
  }

  async storeCredentials(userId: UserId, credentials: Credentials): Promise<void> {
    const stored: StoredLogin = {
      account: credentials.account,
      password: this.secrets.seal(userId, credentials.password),
    };
    await this.storage.put(loginKey(userId), stored);
  }

  /** Forgets the user's login; false when there was none. */
  async removeCredentials(userId: UserId): Promise<boolean> {
    const existed = (await this.storage.get(loginKey(userId))) != null;
    await this.storage.delete(loginKey(userId));
    return existed;
  }

  /** A password sealed under `passwords.key_file`: opened with it and sealed again under the bridge's key. */
  private async fromLegacy(userId: UserId, stored: StoredLogin): Promise<string | null> {
    const password = this.legacy?.open(userId, stored.password) ?? null;
    if (password === null) return null;
    await this.storeCredentials(userId, { account: stored.account, password });
    this.logger.info("a stored IRC password moved from passwords.key_file to the bridge's key", { userId });
    return password;
  }
}

/**
 * The settings store of a starting bridge. `legacyKeyFile` (`passwords.key_file`) is read, never made: passwords
 * stored under it still open, and move to the bridge's key as they are used.
 */
export function openPuppetSettings(
  legacyKeyFile: string | undefined,
  context: NetworkContext,
): PuppetSettings {
  const { logger } = context;
  const legacy = legacyKeyFile === undefined ? null : SecretVault.open(legacyKeyFile, { create: false });
  if (legacyKeyFile !== undefined && legacy === null) {
    logger.info("passwords.key_file names no file; stored IRC passwords are sealed with store.key_file", {
      keyFile: legacyKeyFile,
    });
  }
  return new PuppetSettings({ storage: context.storage, secrets: context.secrets, legacy, logger });
}
