// What a suite needs of a homeserver, whichever implementation runs: Synapse and Dendrite both implement it, so a
// suite can run against either (or loop over both, as the IRC suites loop over IRC servers). What one of them cannot
// do for an application service is named in `capabilities`, so a test skips exactly that assertion and says why.

import { Dendrite } from "./dendrite.ts";
import { Synapse } from "./synapse.ts";

export interface HomeserverOptions {
  /** The suite's run folder; the homeserver keeps everything in a folder of its own inside it. */
  runDir: string;
  appserviceRegistrationFiles?: string[];
  /** Defaults to "localhost". */
  serverName?: string;
  /** Top-level configuration keys that replace the harness's own (a shallow merge). */
  extraConfig?: Record<string, unknown>;
}

export interface HomeserverCapabilities {
  /**
   * `POST /_matrix/client/v1/appservice/{id}/ping` (Matrix v1.7). Without it the bridge checks its as_token with
   * whoami at start-up and warns.
   */
  readonly pingEndpoint: boolean;
  /**
   * Typing notifications, read receipts and presence pushed to the application service (MSC2409,
   * `receive_ephemeral`). Without them, Matrix typing and receipts never reach the network.
   */
  readonly ephemeralEvents: boolean;
}

export interface Homeserver {
  /** "Synapse" or "Dendrite", for test names and messages. */
  readonly software: HomeserverSoftware;
  readonly version: string;
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  /** For registering users with the shared-secret scheme both implement (`/_synapse/admin/v1/register`). */
  readonly sharedSecret: string;
  readonly dataDir: string;
  /** The homeserver's own log. */
  readonly logPath: string;
  readonly capabilities: HomeserverCapabilities;
  /** The running process's id, or undefined while stopped. */
  readonly pid: number | undefined;
  /** Starts the homeserver and resolves once its client API answers. */
  start(): Promise<void>;
  /** Stops the process and keeps the data, so `start()` resumes where it was. */
  stop(): Promise<void>;
  /** Stops, and removes the data folder unless it should be kept for a look after a failure. */
  destroy(keepData: boolean): Promise<void>;
}

export type HomeserverSoftware = "Synapse" | "Dendrite";

/** Writes the configuration of the named homeserver (building or installing it first if needed); `start()` runs it. */
export function createHomeserver(
  software: HomeserverSoftware,
  options: HomeserverOptions,
): Promise<Homeserver> {
  return software === "Dendrite" ? Dendrite.create(options) : Synapse.create(options);
}

/** The homeserver matrix of the suites that prove the bridges on both. */
export const HOMESERVERS: readonly HomeserverSoftware[] = ["Synapse", "Dendrite"];
