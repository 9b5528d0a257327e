// The media proxy: serves the signed links of media-links.ts on the bridge's listener, to anyone (remote users have
// no Matrix token; the link itself is the permission), outside the application service's hs_token guard. A valid
// link's file is fetched from the homeserver's authenticated media API with the bridge's token and passed on as it
// arrives — never held whole in memory — under a size cap, with the type and headers of served-media.ts. Refusals are
// Matrix-style JSON like the rest of the bridge's API: 403 for a link that is forged, altered or expired, 404 for one
// that is malformed or whose file the homeserver does not have, 413 past the cap.

import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import express, { type NextFunction, type Request, type Response } from "express";
import { MatrixApiError } from "../appservice/errors.ts";
import type { MxcUri } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MediaStream } from "../matrix/client.ts";
import { MatrixHttpError } from "../matrix/errors.ts";
import type { LinkCheck, MediaLinks } from "./media-links.ts";
import { contentDisposition, MEDIA_SECURITY_HEADERS, servedType } from "./served-media.ts";

/** Someone clicked a link and is waiting: a homeserver failing is retried briefly, not for minutes. */
const HOMESERVER_RETRIES = 2;
/** Covers the whole transfer, so it allows for a slow reader of a large file. */
const TRANSFER_TIMEOUT_MS = 15 * 60_000;
/** How long a browser or cache may keep a file; never past the link's own expiry. */
const MAX_CACHE_SECONDS = 24 * 3600;

export interface MediaProxyOptions {
  /** The link signer; null until the bridge has opened its store (the proxy then answers 503). */
  links: () => MediaLinks | null;
  /** Starts the authenticated download (MatrixClient.openMedia). */
  open: (mxc: MxcUri, opts: { timeoutMs: number; maxRetries: number }) => Promise<MediaStream>;
  /** No file larger than this is passed on. */
  maxBytes: number;
  logger: Logger;
}

const REFUSALS: Record<Exclude<LinkCheck, { ok: true }>["reason"], MatrixApiError> = {
  malformed: new MatrixApiError(404, "M_NOT_FOUND", "not a media link of this bridge"),
  signature: new MatrixApiError(403, "M_FORBIDDEN", "this media link is not valid (it was altered?)"),
  expired: new MatrixApiError(403, "M_FORBIDDEN", "this media link has expired"),
};

const tooLarge = (maxBytes: number) =>
  new MatrixApiError(
    413,
    "M_TOO_LARGE",
    `the file is larger than the ${maxBytes} bytes this bridge passes on`,
  );

/** Passes bytes through until `maxBytes`, then fails the stream (which cuts the answer off). */
function capped(maxBytes: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      total += chunk.byteLength;
      if (total > maxBytes) done(tooLarge(maxBytes));
      else done(null, chunk);
    },
  });
}

export function createMediaProxyRouter(options: MediaProxyOptions): express.Router {
  const { logger, maxBytes } = options;
  const router = express.Router();

  const serve = async (req: Request, res: Response): Promise<void> => {
    const links = options.links();
    if (links === null) throw new MatrixApiError(503, "M_UNKNOWN", "the bridge is starting");
    const checked = links.check(req.path);
    if (!checked.ok) throw REFUSALS[checked.reason];
    const media = await open(checked.mxc);
    if (media.length !== undefined && media.length > maxBytes) {
      await media.body.cancel();
      throw tooLarge(maxBytes);
    }
    const { contentType, inline } = servedType(media.contentType);
    const headers = {
      ...MEDIA_SECURITY_HEADERS,
      "content-type": contentType,
      "content-disposition": contentDisposition(inline, checked.filename),
      "cache-control": `private, max-age=${cacheSeconds(checked.expires)}`,
      ...(media.length !== undefined && { "content-length": String(media.length) }),
    };
    // setHeader, not Express's res.set, which would add a charset to a text type that named none.
    res.status(200);
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (req.method === "HEAD") {
      await media.body.cancel();
      res.end();
      return;
    }
    try {
      await pipeline(Readable.fromWeb(media.body as WebReadableStream<Uint8Array>), capped(maxBytes), res);
    } catch (err) {
      // The answer is under way: all that is left is to cut it off, so the reader sees an incomplete transfer
      // rather than a short file. A reader leaving early lands here too.
      res.destroy();
      logger.debug("media transfer ended early", { mxc: checked.mxc, error: (err as Error).message });
    }
  };

  const open = async (mxc: MxcUri): Promise<MediaStream> => {
    try {
      return await options.open(mxc, { timeoutMs: TRANSFER_TIMEOUT_MS, maxRetries: HOMESERVER_RETRIES });
    } catch (err) {
      if (err instanceof MatrixHttpError && err.status === 404)
        throw new MatrixApiError(404, "M_NOT_FOUND", "the homeserver has no such file");
      logger.warn("the homeserver did not give a linked file", { mxc, error: (err as Error).message });
      throw new MatrixApiError(502, "M_UNKNOWN", "the homeserver could not provide this file");
    }
  };

  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      next(new MatrixApiError(405, "M_UNRECOGNIZED", "method not allowed; use GET"));
      return;
    }
    serve(req, res).catch(next);
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const error =
      err instanceof MatrixApiError ? err : new MatrixApiError(500, "M_UNKNOWN", "internal error");
    if (error.status >= 500) logger.error("media request failed", { path: req.path, err });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(error.status).json(error.toJSON());
  });
  return router;
}

/** The link's remaining life, capped; a link without expiry gets the cap. */
function cacheSeconds(expires: number): number {
  if (expires === 0) return MAX_CACHE_SECONDS;
  return Math.max(0, Math.min(MAX_CACHE_SECONDS, Math.floor(expires - Date.now() / 1000)));
}
