// Loads matrix-appservice-bridge for the ingest comparison. Its Matrix SDK imports the Rust crypto binding at load time
// for end-to-end encryption, whose native library is downloaded by an install script from outside the package
// registry; where that library is missing, the binding is replaced by one whose every member refuses to work. The
// benchmark never turns encryption on, so nothing calls it, and a call would fail loudly rather than quietly.

import { createRequire, registerHooks } from "node:module";

type AppserviceBridgeModule = typeof import("matrix-appservice-bridge");

const CRYPTO_BINDING = "@matrix-org/matrix-sdk-crypto-nodejs";
const UNAVAILABLE_URL = "bench:matrix-sdk-crypto-unavailable";
const UNAVAILABLE_SOURCE = `
const refuse = () => { throw new Error("end-to-end encryption is not available: ${CRYPTO_BINDING} has no native library here"); };
module.exports = new Proxy({}, { get: (_, name) => (typeof name === "symbol" || name === "__esModule" ? undefined : refuse) });
`;

function nativeCryptoLoads(): boolean {
  try {
    createRequire(import.meta.url)(CRYPTO_BINDING);
    return true;
  } catch {
    return false;
  }
}

let loaded: Promise<AppserviceBridgeModule> | null = null;

export function loadAppserviceBridge(): Promise<AppserviceBridgeModule> {
  if (loaded === null) {
    if (!nativeCryptoLoads()) {
      registerHooks({
        resolve: (specifier, context, nextResolve) =>
          specifier === CRYPTO_BINDING
            ? { url: UNAVAILABLE_URL, format: "commonjs", shortCircuit: true }
            : nextResolve(specifier, context),
        load: (url, context, nextLoad) =>
          url === UNAVAILABLE_URL
            ? { format: "commonjs", source: UNAVAILABLE_SOURCE, shortCircuit: true }
            : nextLoad(url, context),
      });
    }
    loaded = import("matrix-appservice-bridge");
  }
  return loaded;
}
