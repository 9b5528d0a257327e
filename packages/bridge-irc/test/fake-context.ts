// A NetworkContext for tests: a store in a map, no uploads or secrets unless a test gives them, nothing logged.

import { Logger, type NetworkContext, type RemoteEvents } from "bridge-core";

/** RemoteEvents that record every call as [method, event]. */
export function recordingRemote(calls: [string, unknown][]): RemoteEvents {
  return new Proxy({} as RemoteEvents, {
    get:
      (_target, method: string) =>
      async (event: unknown): Promise<void> => {
        calls.push([method, event]);
      },
  });
}

export function fakeContext(overrides: Partial<NetworkContext> = {}): NetworkContext {
  const storage = new Map<string, unknown>();
  const refused = async (): Promise<never> => {
    throw new Error("not in this test");
  };
  return {
    config: {},
    logger: Logger.create({ sink: { write: () => {} } }),
    remote: recordingRemote([]),
    media: { upload: refused, uploadWithLink: refused, fetchRemote: refused },
    secrets: {
      seal: () => {
        throw new Error("no secrets here");
      },
      open: () => null,
    },
    storage: {
      get: async (key) => storage.get(key),
      put: async (key, value) => void storage.set(key, value),
      delete: async (key) => void storage.delete(key),
    },
    linkedRooms: async () => [],
    portalAlias: (id) => `#test_${id}:example.org`,
    savedLogins: async () => [],
    puppetsConnected: () => {},
    connectionState: () => {},
    ...overrides,
  };
}
