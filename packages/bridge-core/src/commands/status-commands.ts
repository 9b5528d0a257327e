// What a user asks the bot about the bridge and their own connection: `status` (the bridge's state, in the
// `com.beeper.bridge_state` words /bridge_state uses, and the state of their login or puppet) and `notices on|off`
// (whether they are told in this DM when their connection goes down and comes back).

import { CommandUsageError } from "../network-commands.ts";
import { type BridgeStates, type ConnectionStatus, describe } from "../observability/bridge-state.ts";
import type { BridgeStore } from "../store/store.ts";
import type { CommandRegistry } from "./registry.ts";

export interface StatusCommandsOptions {
  networkName: string;
  states: BridgeStates;
  store: () => BridgeStore;
}

/** `alice's connection: CONNECTED since 12:00:00 UTC` lines, one per server. */
export function connectionLines(statuses: ConnectionStatus[]): string[] {
  return statuses.map((status) => {
    const where = status.instance === undefined ? "" : ` (${status.instance})`;
    const since = new Date(status.timestamp * 1000).toISOString().replace("T", " ").slice(0, 19);
    return `${describe(status)}${where}, since ${since} UTC`;
  });
}

export function bridgeStateLine(states: BridgeStates): string {
  const snapshot = states.snapshot();
  const why = snapshot.message === undefined ? "" : ` (${snapshot.message})`;
  return `Bridge: ${snapshot.state_event}${why}; homeserver ${snapshot.homeserver.reachable ? "reachable" : "unreachable"}.`;
}

export function registerStatusCommands(registry: CommandRegistry, options: StatusCommandsOptions): void {
  const { networkName, states } = options;
  registry.register({
    name: "status",
    section: "Your account",
    summary: `show the bridge's state and that of your ${networkName} connection`,
    run: async (ctx) => {
      if (ctx.args.length > 0) throw new CommandUsageError("status takes no arguments.");
      const mine = connectionLines(states.userConnections(ctx.sender));
      const yours =
        mine.length === 0
          ? `You have no ${networkName} connection of your own right now.`
          : `Your ${networkName} connection: ${mine.join("; ")}.`;
      const record = await options.store().getUserRecord(ctx.sender);
      const notices = record.connectionNotices === false ? "off" : "on";
      await ctx.reply(`${bridgeStateLine(states)}\n${yours}\nConnection notices are ${notices}.`);
    },
  });
  registry.register({
    name: "notices",
    section: "Your account",
    usage: "[on|off]",
    summary: `whether I tell you here when your ${networkName} connection goes down and comes back`,
    run: async (ctx) => {
      const [choice, ...rest] = ctx.args;
      if (rest.length > 0) throw new CommandUsageError("notices takes on, off, or nothing.");
      const store = options.store();
      const record = await store.getUserRecord(ctx.sender);
      if (choice === undefined) {
        await ctx.reply(`Connection notices are ${record.connectionNotices === false ? "off" : "on"}.`);
        return;
      }
      const wanted = choice.toLowerCase();
      if (wanted !== "on" && wanted !== "off")
        throw new CommandUsageError(`Say "on" or "off", not "${choice.slice(0, 40)}".`);
      const { connectionNotices: _, ...others } = record;
      await store.putUserRecord(
        ctx.sender,
        wanted === "off" ? { ...others, connectionNotices: false } : others,
      );
      await ctx.reply(
        wanted === "off"
          ? `Connection notices are off: I no longer tell you when your ${networkName} connection goes down or comes back.`
          : `Connection notices are on: I tell you here when your ${networkName} connection goes down and comes back.`,
      );
    },
  });
}
