// What an operator watches and steers, in one place: live health and the bridge state (from the plugin's
// connection reports and the homeserver's answers), users' connection notices, a periodic look at the homeserver so
// that an idle bridge notices it is gone, and the status and admin commands.

import { registerAdminCommands } from "../commands/admin-commands.ts";
import type { CommandRegistry } from "../commands/registry.ts";
import { registerStatusCommands } from "../commands/status-commands.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { NetworkPlugin } from "../network.ts";
import { BridgeStates } from "../observability/bridge-state.ts";
import { HealthState } from "../observability/health.ts";
import type { BridgeStore } from "../store/store.ts";
import { BRIDGE_VERSION } from "../version.ts";
import { ConnectionNotices } from "./connection-notices.ts";
import type { Naming } from "./naming.ts";
import type { Plumbing } from "./plumbing.ts";

/** How often an idle bridge asks the homeserver whether it is there; requests in between count too. */
export const HOMESERVER_PROBE_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;

export interface OperationsDeps {
  network: NetworkPlugin;
  naming: Naming;
  intents: IntentFactory;
  logger: Logger;
  store: () => BridgeStore;
  plumbing: () => Plumbing;
}

export class Operations {
  readonly health: HealthState;
  readonly states: BridgeStates;
  private readonly notices: ConnectionNotices;
  private probe: NodeJS.Timeout | null = null;

  constructor(deps: OperationsDeps, tokens: readonly string[]) {
    this.health = new HealthState({
      required: ["store", "homeserver", "network"],
      redact: (text) => tokens.reduce((out, token) => out.split(token).join("[redacted]"), text),
    });
    this.states = new BridgeStates({ health: this.health });
    this.notices = new ConnectionNotices({
      store: deps.store,
      bot: deps.intents.bot,
      networkName: deps.network.info.displayName,
      logger: deps.logger.child({ component: "connection-notices" }),
    });
    this.states.onUserChange((userId, previous, current) => this.notices.changed(userId, previous, current));
  }

  registerCommands(registry: CommandRegistry, deps: OperationsDeps): void {
    registerStatusCommands(registry, {
      networkName: deps.network.info.displayName,
      states: this.states,
      store: deps.store,
    });
    registerAdminCommands(registry, { ...deps, version: BRIDGE_VERSION, states: this.states });
  }

  /**
   * Now and then: asks the homeserver for its versions (MatrixClient reports the outcome to `states`), and reads the
   * store's own account of its health (a PostgreSQL store retrying a lost database says so there).
   */
  startProbe(client: MatrixClient, store: BridgeStore, intervalMs: number): void {
    const look = () => {
      const { ok, detail } = store.health();
      this.health.set("store", ok, ok ? undefined : (detail ?? "unavailable"));
      void client
        .request("GET", "/_matrix/client/versions", { maxRetries: 0, timeoutMs: PROBE_TIMEOUT_MS })
        .catch(() => undefined);
    };
    this.probe = setInterval(look, intervalMs);
    this.probe.unref();
  }

  async stop(): Promise<void> {
    this.states.stopping();
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    await this.notices.idle();
  }
}
