// A tiny HTTP proxy between the homeserver and the bridge, for fault tests: the homeserver's registration names the
// proxy's URL, every request is passed on to the bridge unchanged, and a test can make it answer 500 to the next
// transaction(s) itself, without the bridge seeing them. To the homeserver that is exactly a failed delivery (a
// bridge behind a broken reverse proxy, a network failure), so it retries as it would in production — with no hook
// inside the bridge. Every transaction is recorded with its id, its event ids and the answer it got.

import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedTransaction {
  txnId: string;
  eventIds: string[];
  /** What the homeserver got back: 500 when the proxy failed it, otherwise the bridge's answer. */
  status: number;
  at: number;
}

const TRANSACTION_PATH = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)/;

export class FlakyProxy {
  readonly transactions: ProxiedTransaction[] = [];
  private failing = 0;
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  /** Listens on a free port of 127.0.0.1 and passes everything on to the bridge at `targetPort`. */
  static async start(targetPort: number): Promise<FlakyProxy> {
    const server = createServer();
    const proxy = new FlakyProxy(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const txnId = TRANSACTION_PATH.exec(req.url ?? "")?.[1];
        const record = (status: number): void => {
          if (txnId === undefined || req.method !== "PUT") return;
          proxy.transactions.push({
            txnId: decodeURIComponent(txnId),
            eventIds: eventIdsOf(body),
            status,
            at: Date.now(),
          });
        };
        if (txnId !== undefined && req.method === "PUT" && proxy.failing > 0) {
          proxy.failing--;
          record(500);
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ errcode: "M_UNKNOWN", error: "injected by the test proxy" }));
          return;
        }
        const upstream = request(
          { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            record(answer.statusCode ?? 0);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        // The bridge down (a restart) is a refused connection at the proxy: the homeserver sees a 502 and retries.
        upstream.on("error", () => {
          record(502);
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the next `count` transactions with 500 instead of passing them on. */
  failTransactions(count: number): void {
    this.failing += count;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function eventIdsOf(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { events?: { event_id?: unknown }[] };
    return (parsed.events ?? []).flatMap((e) => (typeof e.event_id === "string" ? [e.event_id] : []));
  } catch {
    return [];
  }
}
