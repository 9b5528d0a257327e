// The application service API the homeserver calls (Matrix spec, application service API, v1). The HTTP layer only
// authenticates, parses and answers; what each call means is the bridge's, through `AppserviceHandlers`.

import type { Server } from "node:http";
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

/** Errors raised by the JSON body parser carry a `type`; everything unknown is a 500 that hides its details. */
function toApiError(err: unknown): MatrixApiError {
  if (err instanceof MatrixApiError) return err;
  const type = (err as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return new MatrixApiError(413, "M_TOO_LARGE", "request body too large");
  if (type === "entity.parse.failed")
    return new MatrixApiError(400, "M_NOT_JSON", "request body is not valid JSON");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new MatrixApiError(415, "M_UNKNOWN", "unsupported body encoding");
  }
  return new MatrixApiError(500, "M_UNKNOWN", "internal error");
}

export function listen(app: express.Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on("error", reject);
  });
}
