// The application service API the homeserver calls (Matrix spec, application service API, v1). The HTTP layer only
// authenticates, parses and answers; what each call means is the bridge's, through `AppserviceHandlers`.

import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import express, { type NextFunction, type Request, type Response } from "express";
import {
  parseRoomAlias,
  parseUserId,
  type RoomAlias,
  type TransactionId,
  transactionId,
  type UserId,
} from "../ids.ts";
import type { Logger } from "../log.ts";
import { checkHomeserverToken } from "./auth.ts";
import { MatrixApiError, notFound } from "./errors.ts";
import { type ParsedTransaction, parseTransactionBody } from "./transaction-body.ts";

export type ThirdPartyFields = Record<string, string>;

export interface AppserviceHandlers {
  /** Resolves once the transaction's events are durably accepted; only then does the homeserver get its 200. */
  transaction(txnId: TransactionId, parsed: ParsedTransaction): Promise<void>;
  /** Does this user exist in the bridge's namespace? Creates the ghost when it does. */
  queryUser(userId: UserId): Promise<boolean>;
  /** Does this alias exist in the bridge's namespace? Creates the portal room when it does. */
  queryAlias(alias: RoomAlias): Promise<boolean>;
  ping(transactionId: string | undefined): void;
  thirdPartyProtocol(protocol: string): Promise<unknown | null>;
  thirdPartyLocations(protocol: string, fields: ThirdPartyFields): Promise<unknown[]>;
  thirdPartyUsers(protocol: string, fields: ThirdPartyFields): Promise<unknown[]>;
  thirdPartyLocationsByAlias(alias: RoomAlias): Promise<unknown[]>;
  thirdPartyUsersById(userId: UserId): Promise<unknown[]>;
}

export interface AppserviceServerOptions {
  hsToken: string;
  maxBodyBytes: number;
  logger: Logger;
  handlers: AppserviceHandlers;
}

type Handler = (req: Request, res: Response) => Promise<void>;
type Method = "get" | "put" | "post";

const json = (res: Response, status: number, body: unknown): void => {
  res.status(status).json(body);
};

function queryFields(req: Request, omit?: string): ThirdPartyFields {
  const out: ThirdPartyFields = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (key === "access_token" || key === omit) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string") out[key] = first;
  }
  return out;
}

function param(req: Request, name: string): string {
  // A wildcard parameter arrives as its path segments: user ids and aliases may hold a `/`, which homeservers do not
  // escape in these paths.
  const raw: unknown = req.params[name];
  const value = Array.isArray(raw) ? raw.join("/") : raw;
  if (typeof value !== "string") throw new MatrixApiError(400, "M_INVALID_PARAM", `missing ${name}`);
  return value;
}

function parseOr400<T>(parse: (v: unknown) => T, value: unknown): T {
  try {
    return parse(value);
  } catch (err) {
    throw new MatrixApiError(400, "M_INVALID_PARAM", (err as Error).message);
  }
}

/** The Express application serving the application service API; other routers (metrics, provisioning) mount beside. */
export function createAppserviceApp(options: AppserviceServerOptions): express.Express {
  const { handlers, logger } = options;
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");

  const transaction: Handler = async (req, res) => {
    const txnId = transactionId(param(req, "txnId"));
    const parsed = parseTransactionBody(req.body);
    if (parsed.dropped > 0)
      logger.warn("dropped malformed entries in transaction", { txnId, dropped: parsed.dropped });
    await handlers.transaction(txnId, parsed);
    json(res, 200, {});
  };
  const userQuery: Handler = async (req, res) => {
    const userId = parseOr400(parseUserId, param(req, "userId"));
    if (!(await handlers.queryUser(userId))) throw notFound("no such user in this bridge");
    json(res, 200, {});
  };
  const aliasQuery: Handler = async (req, res) => {
    const alias = parseOr400(parseRoomAlias, param(req, "alias"));
    if (!(await handlers.queryAlias(alias))) throw notFound("no such room alias in this bridge");
    json(res, 200, {});
  };
  const ping: Handler = async (req, res) => {
    const body = req.body as { transaction_id?: unknown } | undefined;
    handlers.ping(typeof body?.transaction_id === "string" ? body.transaction_id : undefined);
    json(res, 200, {});
  };
  const protocol: Handler = async (req, res) => {
    const result = await handlers.thirdPartyProtocol(param(req, "protocol"));
    if (result === null) throw notFound("unknown protocol");
    json(res, 200, result);
  };
  const nonEmpty = (res: Response, results: unknown[]): void => {
    if (results.length === 0) throw notFound("no results");
    json(res, 200, results);
  };
  const locations: Handler = async (req, res) =>
    nonEmpty(res, await handlers.thirdPartyLocations(param(req, "protocol"), queryFields(req)));
  const users: Handler = async (req, res) =>
    nonEmpty(res, await handlers.thirdPartyUsers(param(req, "protocol"), queryFields(req)));
  const locationsByAlias: Handler = async (req, res) =>
    nonEmpty(res, await handlers.thirdPartyLocationsByAlias(parseOr400(parseRoomAlias, req.query["alias"])));
  const usersById: Handler = async (req, res) =>
    nonEmpty(res, await handlers.thirdPartyUsersById(parseOr400(parseUserId, req.query["userid"])));

  const routes: [string[], Method, Handler][] = [
    [["/_matrix/app/v1/transactions/:txnId", "/transactions/:txnId"], "put", transaction],
    [["/_matrix/app/v1/users/*userId", "/users/*userId"], "get", userQuery],
    [["/_matrix/app/v1/rooms/*alias", "/rooms/*alias"], "get", aliasQuery],
    [["/_matrix/app/v1/ping"], "post", ping],
    [["/_matrix/app/v1/thirdparty/protocol/:protocol"], "get", protocol],
    [["/_matrix/app/v1/thirdparty/location/:protocol"], "get", locations],
    [["/_matrix/app/v1/thirdparty/user/:protocol"], "get", users],
    [["/_matrix/app/v1/thirdparty/location"], "get", locationsByAlias],
    [["/_matrix/app/v1/thirdparty/user"], "get", usersById],
  ];
  const guarded = routes.flatMap(([paths]) => paths);

  // Authenticate before reading the body: an unauthenticated caller must not make us buffer megabytes.
  app.use(["/_matrix/app", "/transactions", "/users", "/rooms"], (req, _res, next) => {
    checkHomeserverToken(req, options.hsToken);
    next();
  });
  app.use(guarded, express.json({ limit: options.maxBodyBytes, type: () => true, strict: false }));

  for (const [paths, method, handler] of routes) {
    for (const path of paths) {
      app[method](path, (req, res, next) => {
        handler(req, res).catch(next);
      });
      app.all(path, () => {
        throw new MatrixApiError(405, "M_UNRECOGNIZED", `method not allowed; use ${method.toUpperCase()}`);
      });
    }
  }
  app.use(["/_matrix", "/transactions", "/users", "/rooms"], () => {
    throw new MatrixApiError(404, "M_UNRECOGNIZED", "unrecognized request");
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = toApiError(err);
    if (error.status >= 500) logger.error("request failed", { path: req.path, err });
    else logger.debug("request refused", { path: req.path, status: error.status, errcode: error.errcode });
    json(res, error.status, error.toJSON());
  });
  return app;
}

/**
 * Errors raised by the JSON body parser carry a `type`, the request's own faults a 4xx status; everything else is a
 * 500 that hides its details.
 */
function toApiError(err: unknown): MatrixApiError {
  if (err instanceof MatrixApiError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return new MatrixApiError(413, "M_TOO_LARGE", "request body too large");
  if (type === "entity.parse.failed")
    return new MatrixApiError(400, "M_NOT_JSON", "request body is not valid JSON");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new MatrixApiError(415, "M_UNKNOWN", "unsupported body encoding");
  }
  // The router percent-decodes path parameters and fails on a stray `%` or an invalid UTF-8 sequence; that is the
  // caller's fault, not ours.
  if (err instanceof URIError) {
    return new MatrixApiError(400, "M_INVALID_PARAM", "the request path is not valid percent-encoding");
  }
  // The body parser marks other faults of the request with a 4xx status and no type of its own: a compressed body
  // that does not inflate, a body shorter than its Content-Length, an upload cut off.
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status < 500) {
    return new MatrixApiError(status, "M_NOT_JSON", "the request body could not be read");
  }
  return new MatrixApiError(500, "M_UNKNOWN", "internal error");
}

/** The statuses Node itself gives these parser errors, with the Matrix error code that goes with each. */
const CLIENT_ERRORS = new Map<string | undefined, [number, string, string]>([
  ["HPE_HEADER_OVERFLOW", [431, "M_TOO_LARGE", "request headers too large"]],
  ["HPE_CHUNK_EXTENSIONS_OVERFLOW", [413, "M_TOO_LARGE", "chunk extensions too large"]],
  ["ERR_HTTP_REQUEST_TIMEOUT", [408, "M_UNKNOWN", "request timed out"]],
]);

/** The request a connection is serving, if any. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

/**
 * What the HTTP parser refuses never reaches Express (a request line or headers too long or malformed); it still gets
 * a Matrix error body, as every other refusal does. Node's own answer has no body.
 */
function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  inFlight: WeakMap<Duplex, Exchange>,
): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  // Garbage after a whole request (a body longer than its Content-Length) fails while that request is still being
  // answered: its answer goes out first, and the error follows it instead of being spliced into it. A request whose
  // own body is broken (a bad chunk) can never be answered, so the error is its answer, unless one is already under
  // way; then all that is left is to close.
  const pending = inFlight.get(socket);
  if (pending?.req.complete) {
    pending.res.once("close", () => answerClientError(err, socket, inFlight));
    return;
  }
  if (pending?.res.headersSent) {
    socket.destroy();
    return;
  }
  const [status, errcode, message] = CLIENT_ERRORS.get(err.code) ?? [
    400,
    "M_UNKNOWN",
    "malformed HTTP request",
  ];
  const body = JSON.stringify({ errcode, error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
    () => socket.destroy(),
  );
}

export function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on("error", reject);
    const inFlight = new WeakMap<Duplex, Exchange>();
    // Ahead of Express, so the exchange is known before anything can answer it.
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
      inFlight.set(req.socket, { req, res });
      res.once("close", () => {
        if (inFlight.get(req.socket)?.res === res) inFlight.delete(req.socket);
      });
    });
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) =>
      answerClientError(err, socket, inFlight),
    );
  });
}
