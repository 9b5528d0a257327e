import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now. The kernel picks it, so parallel test processes do not
 * collide the way they would with a fixed or counted port.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error(`unexpected listen address: ${String(address)}`));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}
