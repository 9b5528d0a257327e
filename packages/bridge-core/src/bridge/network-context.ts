// What the core hands the network plugin when it makes it (NetworkContext): the plugin's settings, the door for what
// the network reports, media, its own storage, and what it must restore. The plugin is made before the store opens,
// so the calls that reach the store or the pipeline look them up when they are made, from start() on.

import type { BridgeConfig } from "../config/schema.ts";
import type { RemoteRoomId, UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { PublicLinks } from "../media/public-links.ts";
import { fetchRemoteMedia } from "../media/remote-media.ts";
import type { ConnectionStateReport, NetworkContext, RemoteEvents } from "../network.ts";
import type { BridgeStore } from "../store/store.ts";

/** What exists once the bridge has started: the store, and the journalled door into the pipeline. */
export interface StartedParts {
  store: BridgeStore;
  remote: RemoteEvents;
}

export interface NetworkContextInputs {
  config: BridgeConfig;
  logger: Logger;
  client: MatrixClient;
  publicLinks: PublicLinks;
  /** The started parts; throws before the bridge has started. */
  started(): StartedParts;
  /** Whether a Matrix user may be bridged at all. */
  allows(userId: UserId): boolean;
  puppetsConnected(count: number): void;
  portalAlias(id: RemoteRoomId): string;
  /** Gets each report with its reason already scrubbed. */
  connectionState(report: ConnectionStateReport): void;
}

export function makeNetworkContext(inputs: NetworkContextInputs): NetworkContext {
  const { config, client, publicLinks, logger, started } = inputs;
  const store = () => started().store;
  return {
    logger,
    config: config.network.config,
    remote: forwardRemoteEvents(() => started().remote),
    media: {
      upload: (data, contentType, filename) =>
        client.uploadMedia(data, { contentType, ...(filename !== undefined && { filename }) }),
      uploadWithLink: async (data, contentType, filename) =>
        publicLinks.link(await client.uploadMedia(data, { contentType, filename }), filename),
      // Private addresses are the admin's to allow (a bridge inside a trusted network); the size and time limits
      // are the plugin's to choose.
      fetchRemote: (url, opts) =>
        fetchRemoteMedia(url, {
          maxBytes: opts.maxBytes,
          timeoutMs: opts.timeoutMs,
          allowPrivateAddresses: config.media.allowPrivateAddresses,
        }),
    },
    // A user whose permission was taken away after logging in is not reconnected.
    savedLogins: async () => (await store().listLogins()).filter(({ userId }) => inputs.allows(userId)),
    // Whatever is sealed or opened may be logged by mistake later (in an error from the network): scrub it.
    secrets: {
      seal: (owner, plaintext) => {
        logger.addSecret(plaintext);
        return store().secrets.seal(owner, plaintext);
      },
      open: (owner, sealed) => {
        const plaintext = store().secrets.open(owner, sealed);
        if (plaintext !== null) logger.addSecret(plaintext);
        return plaintext;
      },
    },
    storage: {
      get: async (key) => store().getPluginData(key),
      put: async (key, value) => store().putPluginData(key, value),
      delete: async (key) => store().deletePluginData(key),
    },
    linkedRooms: async () => (await store().listRoomLinks()).map((link) => link.remoteRoomId),
    portalAlias: inputs.portalAlias,
    puppetsConnected: inputs.puppetsConnected,
    connectionState: (report) => {
      // The reason may quote the network's error, which may quote a credential: scrubbed like a log line.
      const scrubbed =
        report.reason === undefined ? report : { ...report, reason: logger.scrub(report.reason) };
      logger.info("network connection state", { ...scrubbed });
      inputs.connectionState(scrubbed);
    },
  };
}

/**
 * The plugin may keep `context.remote` (or its methods) from the moment it is made; each call goes to the door that
 * exists when it is made. A call before the start rejects.
 */
function forwardRemoteEvents(remote: () => RemoteEvents): RemoteEvents {
  return {
    message: async (event) => remote().message(event),
    directMessage: async (event) => remote().directMessage(event),
    edit: async (event) => remote().edit(event),
    deletion: async (event) => remote().deletion(event),
    reaction: async (event) => remote().reaction(event),
    reactionRemoved: async (event) => remote().reactionRemoved(event),
    typing: async (event) => remote().typing(event),
    membership: async (event) => remote().membership(event),
    kick: async (event) => remote().kick(event),
    power: async (event) => remote().power(event),
    profile: async (event) => remote().profile(event),
    roomInfo: async (event) => remote().roomInfo(event),
    presence: async (event) => remote().presence(event),
    receipt: async (event) => remote().receipt(event),
  };
}

/**
 * The context a plugin is made with when only its `info` is wanted (writing a registration): it has its settings and
 * a logger, and every other call fails saying why.
 */
export function offlineNetworkContext(
  config: Record<string, unknown>,
  logger: Logger,
  why: string,
): NetworkContext {
  const unavailable = (): never => {
    throw new Error(`not available ${why}`);
  };
  const rejected = async (): Promise<never> => unavailable();
  return {
    config,
    logger,
    remote: forwardRemoteEvents(unavailable),
    media: { upload: rejected, uploadWithLink: rejected, fetchRemote: rejected },
    secrets: { seal: unavailable, open: unavailable },
    storage: { get: rejected, put: rejected, delete: rejected },
    linkedRooms: rejected,
    portalAlias: unavailable,
    savedLogins: rejected,
    puppetsConnected: () => undefined,
    connectionState: () => undefined,
  };
}
