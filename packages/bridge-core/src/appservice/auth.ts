// The homeserver proves itself with the registration's hs_token. Both sides are hashed before comparing so that the
// comparison takes the same time whatever the input, its length included.

import { createHash, timingSafeEqual } from "node:crypto";
import type { Request } from "express";
import { MatrixApiError } from "./errors.ts";

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token from `Authorization: Bearer …`, else from the legacy `access_token` query parameter. */
export function tokenFromRequest(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const query = req.query["access_token"];
  return typeof query === "string" ? query : undefined;
}

/** Throws the spec's errors: 401 `M_UNAUTHORIZED` when no token came, 403 `M_FORBIDDEN` when it is wrong. */
export function checkHomeserverToken(req: Request, hsToken: string): void {
  const given = tokenFromRequest(req);
  if (given === undefined || given === "") {
    throw new MatrixApiError(401, "M_UNAUTHORIZED", "missing hs_token (Authorization: Bearer …)");
  }
  if (!tokenMatches(given, hsToken)) throw new MatrixApiError(403, "M_FORBIDDEN", "wrong hs_token");
}
