// Ghosts: remote users as Matrix users in the bridge's namespace, registered on first use, profile kept in sync.

import type { UserId } from "../ids.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { RemoteUserInfo } from "../network.ts";
import type { Naming } from "./naming.ts";

export class Ghosts {
  private readonly intents: IntentFactory;
  private readonly naming: Naming;

  constructor(options: { intents: IntentFactory; naming: Naming }) {
    this.intents = options.intents;
    this.naming = options.naming;
  }

  /** Registers the ghost if needed and brings its display name and avatar up to date. */
  async ensure(user: RemoteUserInfo): Promise<UserId> {
    const userId = this.naming.ghostUserId(user.id);
    const intent = this.intents.intentFor(userId);
    await intent.ensureRegistered();
    await intent.setDisplayName(user.displayName);
    if (user.avatarUrl) await intent.setAvatarUrl(user.avatarUrl);
    return userId;
  }
}
