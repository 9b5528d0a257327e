// What each Matrix user chose for their puppet, kept in the plugin's storage so it outlives restarts and idle
// disconnects: the nick they picked with `nick`, and the services login they stored with `storepass` (the password
// sealed by the password vault; only the account name is kept readable).

import type { Logger, NetworkContext, UserId } from "bridge-core";
import type { Credentials } from "./irc-login.ts";
import { isSealedSecret, PasswordVault, type SealedSecret } from "./password-vault.ts";

type Storage = NetworkContext["storage"];

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
  private readonly vault: PasswordVault | null;
  private readonly logger: Logger;

  constructor(options: { storage: Storage; vault: PasswordVault | null; logger: Logger }) {
    this.storage = options.storage;
    this.vault = options.vault;
    this.logger = options.logger;
  }

  get canStorePasswords(): boolean {
    return this.vault !== null;
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
    if (this.vault === null || !isStoredLogin(stored)) {
      this.logger.warn("a stored IRC password cannot be read; is passwords.key_file set to the right key?", {
        userId,
      });
      return undefined;
    }
    const password = this.vault.open(stored.password, userId);
    if (password === null) {
      this.logger.warn("a stored IRC password does not decrypt with the configured key", { userId });
      return undefined;
    }
    this.logger.addSecret(password);
    return { account: stored.account, password };
  }

  async storeCredentials(userId: UserId, credentials: Credentials): Promise<void> {
    if (this.vault === null) throw new Error("storing passwords is not enabled on this bridge");
    this.logger.addSecret(credentials.password);
    const stored: StoredLogin = {
      account: credentials.account,
      password: this.vault.seal(credentials.password, userId),
    };
    await this.storage.put(loginKey(userId), stored);
  }

  /** Forgets the user's login; false when there was none. */
  async removeCredentials(userId: UserId): Promise<boolean> {
    const existed = (await this.storage.get(loginKey(userId))) != null;
    await this.storage.delete(loginKey(userId));
    return existed;
  }
}

/** The settings store of a starting bridge, with the password vault when `passwords.key_file` names its key. */
export function openPuppetSettings(keyFile: string | undefined, context: NetworkContext): PuppetSettings {
  const { logger } = context;
  let vault: PasswordVault | null = null;
  if (keyFile !== undefined) {
    vault = PasswordVault.open(keyFile);
    if (vault.created) logger.info("made a new key for stored IRC passwords", { keyFile });
    if (vault.tooOpen) {
      logger.warn("the key of stored IRC passwords is readable by other users; chmod 600 it", { keyFile });
    }
  }
  return new PuppetSettings({ storage: context.storage, vault, logger });
}
