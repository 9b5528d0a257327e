// What the core hands the network plugin at its start (NetworkContext): the plugin's settings, the door for what the
// network reports, media both ways, its own storage, and what it must restore.

import type { BridgeConfig } from "../config/schema.ts";
import type { UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { PublicLinks } from "../media/public-links.ts";
import { fetchRemoteMedia } from "../media/remote-media.ts";
import type { ConnectionStateReport, NetworkContext, RemoteEvents } from "../network.ts";
import type { BridgeStore } from "../store/store.ts";

export interface NetworkContextInputs {
  config: BridgeConfig;
  logger: Logger;
  client: MatrixClient;
  store: BridgeStore;
  remote: RemoteEvents;
  publicLinks: PublicLinks;
  /** Whether a Matrix user may be bridged at all. */
  allows(userId: UserId): boolean;
  puppetsConnected(count: number): void;
  connectionState(report: ConnectionStateReport): void;
}

export function makeNetworkContext(inputs: NetworkContextInputs): NetworkContext {
  const { config, client, store, publicLinks, logger } = inputs;
  const vault = store.secrets;
  if (vault.created) logger.info("made a new key for stored credentials", { keyFile: vault.keyFile });
  return {
    logger: inputs.logger,
    config: config.network.config,
    homeserverUrl: config.homeserver.url,
    remote: inputs.remote,
    media: {
      download: (url, maxBytes) => client.downloadMedia(url, maxBytes !== undefined ? { maxBytes } : {}),
      upload: (data, contentType, filename) =>
        client.uploadMedia(data, { contentType, ...(filename !== undefined && { filename }) }),
      publicLink: (url, filename) => publicLinks.link(url, filename),
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
    savedLogins: async () => (await store.listLogins()).filter(({ userId }) => inputs.allows(userId)),
    // Whatever is sealed or opened may be logged by mistake later (in an error from the network): scrub it.
    secrets: {
      seal: (owner, plaintext) => {
        logger.addSecret(plaintext);
        return vault.seal(owner, plaintext);
      },
      open: (owner, sealed) => {
        const plaintext = vault.open(owner, sealed);
        if (plaintext !== null) logger.addSecret(plaintext);
        return plaintext;
      },
    },
    storage: {
      get: (key) => store.getPluginData(key),
      put: (key, value) => store.putPluginData(key, value),
      delete: (key) => store.deletePluginData(key),
    },
    linkedRooms: async () => (await store.listRoomLinks()).map((link) => link.remoteRoomId),
    puppetsConnected: inputs.puppetsConnected,
    connectionState: inputs.connectionState,
  };
}
