// A stand-in homeserver for unit tests: a real HTTP server on a free local port that records every request and
// answers from a script, so the client is exercised over the wire exactly as in production.

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  json?: unknown;
  /** A raw body, sent with a Content-Length. */
  raw?: Uint8Array;
  /** A raw body sent in these pieces with chunked encoding, so the client cannot know its length up front. */
  chunks?: Uint8Array[];
  headers?: Record<string, string>;
  /** Close the connection without answering, as a crashed server or a broken network would. */
  hangUp?: boolean;
  /** Answer only after this long, as an overloaded server would. */
  delayMs?: number;
}

export type Responder = ScriptedResponse | ((req: RecordedRequest) => ScriptedResponse);
type PathMatcher = string | RegExp;

interface Route {
  method: string;
  path: PathMatcher;
  responder: Responder;
  once: boolean;
}

export class FakeHomeserver {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<FakeHomeserver> {
    const server = createServer();
    const hs = new FakeHomeserver(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://fake");
        const body = Buffer.concat(chunks);
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          json: parseJson(body),
        };
        hs.requests.push(recorded);
        const responder = hs.take(recorded);
        const answer = typeof responder === "function" ? responder(recorded) : responder;
        if (answer.delayMs !== undefined) setTimeout(() => respond(answer), answer.delayMs);
        else respond(answer);
      });

      function respond(answer: ScriptedResponse): void {
        if (answer.hangUp) {
          req.socket.destroy();
          return;
        }
        // The client may have given up (timeout, download too large); writes after that are expected to fail.
        res.on("error", () => {});
        if (res.destroyed) return;
        res.writeHead(answer.status ?? 200, {
          ...(answer.json !== undefined ? { "content-type": "application/json" } : {}),
          ...answer.headers,
        });
        if (answer.chunks) {
          for (const chunk of answer.chunks) res.write(chunk);
          res.end();
        } else {
          res.end(answer.raw ?? (answer.json !== undefined ? JSON.stringify(answer.json) : undefined));
        }
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return hs;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Answers the next matching request once. One-off answers are used in the order given, before any `always`. */
  once(method: string, path: PathMatcher, responder: Responder): this {
    this.routes.push({ method, path, responder, once: true });
    return this;
  }

  /** Answers every matching request that no one-off answer is waiting for. */
  always(method: string, path: PathMatcher, responder: Responder): this {
    this.routes.push({ method, path, responder, once: false });
    return this;
  }

  requestsTo(method: string, path: PathMatcher): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && matches(path, r.path));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private take(req: RecordedRequest): Responder {
    const candidates = this.routes.filter((r) => r.method === req.method && matches(r.path, req.path));
    const route = candidates.find((r) => r.once) ?? candidates.find((r) => !r.once);
    if (route === undefined) {
      return {
        status: 404,
        json: { errcode: "M_UNRECOGNIZED", error: `no script for ${req.method} ${req.path}` },
      };
    }
    if (route.once) this.routes.splice(this.routes.indexOf(route), 1);
    return route.responder;
  }
}

function matches(matcher: PathMatcher, path: string): boolean {
  return typeof matcher === "string" ? matcher === path : matcher.test(path);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}
