// A scriptable web server on 127.0.0.1 for the remote media tests: routes by path, records every request (and, over
// TLS, the name the client asked for in SNI), and drops every connection on close so that tests with stalled
// responses end promptly.

import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { createServer as createTlsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext } from "node:tls";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface SeenRequest {
  path: string;
  host: string | undefined;
}

// A self-signed certificate for `media.example` (valid 2000–2100), trusted by the TLS tests only.
export const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgm+0xf2Rnrx7GiOtd
kgH7mbfsUhWeEULIUTtlwGqESFGhRANCAASbd0chmnNKzZmDInNCVRmAS2BtyKj6
joVZgMFTlnUjwKrNL/qun//aEZ3rWwneHHG8vQ4bXMc4w/FkFXptiZhX
-----END PRIVATE KEY-----
`;
export const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIBATAKBggqhkjOPQQDAjAYMRYwFAYDVQQDDA1tZWRpYS5l
eGFtcGxlMCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAYMRYwFAYD
VQQDDA1tZWRpYS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEm3dH
IZpzSs2ZgyJzQlUZgEtgbcio+o6FWYDBU5Z1I8CqzS/6rp//2hGd61sJ3hxxvL0O
G1zHOMPxZBV6bYmYV6NcMFowGAYDVR0RBBEwD4INbWVkaWEuZXhhbXBsZTAPBgNV
HRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIChDAdBgNVHQ4EFgQUMIkAa/Thr/jW
Ot4HX6by4usK0ykwCgYIKoZIzj0EAwIDSAAwRQIhALUxZlKCiyMDZ5OYkhFzd4aM
S0fCrXp0ySC8lf5GRxHNAiAmT/41arown3zEYLZwfI0/IjanNNoGL+RFdDh3c9lK
Zg==
-----END CERTIFICATE-----
`;

export class LocalServer {
  readonly requests: SeenRequest[] = [];
  /** Over TLS: the server name each client sent in SNI (empty when it sent none). */
  readonly serverNames: string[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly server: HttpServer | HttpsServer;
  private readonly tls: boolean;

  private constructor(server: HttpServer | HttpsServer, tls: boolean) {
    this.server = server;
    this.tls = tls;
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? "/";
      this.requests.push({ path, host: req.headers.host });
      const handler = this.routes.get(path.split("?")[0] ?? path);
      if (handler) handler(req, res);
      else res.writeHead(404).end("not found");
    });
  }

  static async start(opts: { tls?: boolean } = {}): Promise<LocalServer> {
    if (opts.tls) {
      const context = createSecureContext({ key: TLS_KEY, cert: TLS_CERT });
      let local: LocalServer | undefined;
      const server = createTlsServer({
        key: TLS_KEY,
        cert: TLS_CERT,
        SNICallback: (name, callback) => {
          local?.serverNames.push(name);
          callback(null, context);
        },
      });
      local = new LocalServer(server, true);
      await listen(server);
      return local;
    }
    const server = createServer();
    const local = new LocalServer(server, false);
    await listen(server);
    return local;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port><path>` (or https). */
  url(path: string, host = "127.0.0.1"): string {
    return `${this.tls ? "https" : "http"}://${host}:${this.port}${path}`;
  }

  on(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  /** Answers `path` with a redirect to `location`. */
  redirect(path: string, location: string, status = 302): void {
    this.on(path, (_req, res) => res.writeHead(status, { location }).end());
  }

  /** Paths requested so far, in order. */
  get paths(): string[] {
    return this.requests.map((req) => req.path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function listen(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}
