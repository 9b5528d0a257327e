// A NetworkContext for tests that make the plugin without starting it: settings as given, a silent logger, an
// in-memory store, and a core that is never reached (any call into it fails the test).

import { Logger, type NetworkContext, type RemoteEvents } from "bridge-core";

function unreachable(what: string): () => never {
  return () => {
    throw new Error(`${what} is not used in this test`);
  };
}

export function networkContext(config: Record<string, unknown>): NetworkContext {
  const stored = new Map<string, unknown>();
  return {
    config,
    logger: Logger.create({ sink: { write: () => {} } }),
    remote: new Proxy({} as RemoteEvents, { get: (_, name) => unreachable(`remote.${String(name)}`) }),
    media: {
      upload: unreachable("media.upload"),
      uploadWithLink: unreachable("media.uploadWithLink"),
      fetchRemote: unreachable("media.fetchRemote"),
    },
    secrets: { seal: unreachable("secrets.seal"), open: unreachable("secrets.open") },
    storage: {
      get: async (key) => stored.get(key),
      put: async (key, value) => void stored.set(key, value),
      delete: async (key) => void stored.delete(key),
    },
    linkedRooms: async () => [],
    portalAlias: (id) => `#test_${id}:example.org`,
    savedLogins: async () => [],
    puppetsConnected: () => {},
    connectionState: () => {},
  };
}
