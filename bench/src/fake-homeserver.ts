// The least of a homeserver that a bridge needs to start: it answers the start-up ping (and pings the bridge back, as
// Synapse does, so the bridge knows it is reachable) and answers anything else with `{}` while counting it. The
// ingest and start-up benchmarks measure the bridge alone, so a count above zero is worth a look: it means the bridge
// called out to the homeserver on a path the benchmark expected to stay local.

import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeHomeserver {
  readonly url: string;
  /** Requests other than the start-up ping, by "METHOD path" (query left out). */
  readonly otherRequests: Map<string, number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Starts the fake homeserver on 127.0.0.1. `bridgeUrl` and `hsToken` are where and how it pings the bridge back; the
 * bridge must already listen when it asks for the ping (bridge-core's start does that in this order).
 */
export async function startFakeHomeserver(options: {
  bridgeUrl: string;
  hsToken: string;
}): Promise<FakeHomeserver> {
  const otherRequests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      if (req.method === "POST" && /^\/_matrix\/client\/v1\/appservice\/[^/]+\/ping$/.test(path)) {
        const { transaction_id } = JSON.parse(body || "{}") as { transaction_id?: string };
        const started = performance.now();
        const answer = await fetch(`${options.bridgeUrl}/_matrix/app/v1/ping`, {
          method: "POST",
          headers: { authorization: `Bearer ${options.hsToken}`, "content-type": "application/json" },
          body: JSON.stringify({ transaction_id }),
        });
        await answer.arrayBuffer();
        res.writeHead(answer.ok ? 200 : 502, { "content-type": "application/json" });
        res.end(JSON.stringify({ duration_ms: Math.round(performance.now() - started) }));
        return;
      }
      const key = `${req.method} ${path}`;
      otherRequests.set(key, (otherRequests.get(key) ?? 0) + 1);
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    })().catch((err: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errcode: "M_UNKNOWN", error: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    otherRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
