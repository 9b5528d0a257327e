// The provisioning API: lets an integration manager link rooms and switch relaying for its users over HTTP. The caller
// proves itself with the shared secret and names the Matrix user it acts for; that user's power in the room is what
// decides, exactly as for the bot commands. Mounted at `/_bridge/provision/v1`.

import express, { type NextFunction, type Request, type Response } from "express";
import { tokenMatches } from "../appservice/auth.ts";
import { MatrixApiError } from "../appservice/errors.ts";
import { parseRoomId, parseUserId, type RoomId, remoteRoomId, type UserId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { PlumbingError, type RoomLinking } from "../room-linking.ts";
import type { RoomLink } from "../store/store.ts";

export const PROVISIONING_PREFIX = "/_bridge/provision/v1";
const MAX_BODY = "64kb";

export interface ProvisioningOptions {
  secret: string;
  /** May be a getter: the plumbing needs the store, which opens when the bridge starts. */
  plumbing: RoomLinking | (() => RoomLinking);
  logger: Logger;
}

/** A link as the API shows it. */
export interface LinkJson {
  remote_room_id: string;
  kind: RoomLink["kind"];
  relay: boolean;
  linked_by: string | null;
  /** Why bridging is stopped while the link is kept ("encrypted"), or null while the room is bridged. */
  paused: RoomLink["paused"] | null;
}

export const linkJson = (link: RoomLink): LinkJson => ({
  remote_room_id: link.remoteRoomId,
  kind: link.kind,
  relay: link.relay === true,
  linked_by: link.linkedBy ?? null,
  paused: link.paused ?? null,
});

type Handler = (req: Request, res: Response) => Promise<void>;

function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

function actingUser(req: Request): UserId {
  const value = req.query["user_id"];
  if (value === undefined) throw new MatrixApiError(400, "M_MISSING_PARAM", "user_id is required");
  try {
    return parseUserId(value);
  } catch {
    throw new MatrixApiError(400, "M_INVALID_PARAM", "user_id is not a valid Matrix user id");
  }
}

function roomOf(req: Request): RoomId {
  try {
    return parseRoomId(req.params["roomId"]);
  } catch {
    throw new MatrixApiError(400, "M_INVALID_PARAM", "not a valid Matrix room id");
  }
}

function bodyObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MatrixApiError(400, "M_BAD_JSON", "the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Body parser errors carry a `type`; everything unknown is a 500 that hides its details. */
function toApiError(err: unknown): MatrixApiError {
  if (err instanceof MatrixApiError) return err;
  if (err instanceof PlumbingError) return new MatrixApiError(err.status, err.errcode, err.message);
  const type = (err as { type?: unknown } | null)?.type;
  if (type === "entity.parse.failed")
    return new MatrixApiError(400, "M_NOT_JSON", "request body is not valid JSON");
  if (type === "entity.too.large") return new MatrixApiError(413, "M_TOO_LARGE", "request body too large");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new MatrixApiError(415, "M_UNKNOWN", "unsupported body encoding");
  }
  return new MatrixApiError(500, "M_UNKNOWN", "internal error");
}

export function createProvisioningRouter(options: ProvisioningOptions): express.Router {
  const { secret, logger } = options;
  if (secret === "") throw new Error("the provisioning API needs a non-empty secret");
  logger.addSecret(secret);
  const plumbing =
    typeof options.plumbing === "function" ? options.plumbing : () => options.plumbing as RoomLinking;
  const router = express.Router();

  // Authenticate before reading the body: an unauthenticated caller must not make us buffer anything.
  router.use((req, _res, next) => {
    const token = bearerToken(req);
    if (token === undefined || token === "") {
      throw new MatrixApiError(
        401,
        "M_MISSING_TOKEN",
        "missing provisioning secret (Authorization: Bearer …)",
      );
    }
    if (!tokenMatches(token, secret))
      throw new MatrixApiError(403, "M_FORBIDDEN", "wrong provisioning secret");
    next();
  });
  router.use(express.json({ limit: MAX_BODY, type: () => true, strict: false }));

  const listLinks: Handler = async (req, res) => {
    const user = actingUser(req);
    const links = await plumbing().linksFor(roomOf(req), user);
    res.status(200).json({ links: links.map(linkJson) });
  };
  const addLink: Handler = async (req, res) => {
    const user = actingUser(req);
    const roomId = roomOf(req);
    const id = bodyObject(req)["remote_room_id"];
    if (typeof id !== "string" || id === "") {
      throw new MatrixApiError(400, "M_BAD_JSON", "remote_room_id must be a non-empty string");
    }
    const link = await plumbing().link(roomId, remoteRoomId(id), user);
    res.status(200).json(linkJson(link));
  };
  const removeLink: Handler = async (req, res) => {
    const user = actingUser(req);
    await plumbing().unlink(roomOf(req), user);
    res.status(200).json({});
  };
  const setRelay: Handler = async (req, res) => {
    const user = actingUser(req);
    const roomId = roomOf(req);
    const enabled = bodyObject(req)["enabled"];
    if (typeof enabled !== "boolean")
      throw new MatrixApiError(400, "M_BAD_JSON", "enabled must be true or false");
    const link = await plumbing().setRelay(roomId, enabled, user);
    res.status(200).json(linkJson(link));
  };

  const wrap =
    (handler: Handler) =>
    (req: Request, res: Response, next: NextFunction): void => {
      handler(req, res).catch(next);
    };
  const notAllowed = (allow: string) => (_req: Request, res: Response) => {
    res.setHeader("Allow", allow);
    throw new MatrixApiError(405, "M_UNRECOGNIZED", `method not allowed; use ${allow}`);
  };

  router
    .route("/rooms/:roomId/links")
    .get(wrap(listLinks))
    .post(wrap(addLink))
    .delete(wrap(removeLink))
    .all(notAllowed("GET, POST, DELETE"));
  router.route("/rooms/:roomId/relay").put(wrap(setRelay)).all(notAllowed("PUT"));

  router.use(() => {
    throw new MatrixApiError(404, "M_UNRECOGNIZED", "unrecognized request");
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error = toApiError(err);
    if (error.status >= 500)
      logger.error("provisioning request failed", { method: req.method, path: req.path, err });
    else {
      logger.debug("provisioning request refused", {
        method: req.method,
        path: req.path,
        status: error.status,
        errcode: error.errcode,
      });
    }
    res.status(error.status).json(error.toJSON());
  });
  return router;
}
