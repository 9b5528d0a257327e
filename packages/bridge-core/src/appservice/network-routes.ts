// The endpoints a network plugin asks the bridge to serve (NetworkPlugin.httpRoutes), mounted at `/_network/`. The
// caller's secret is checked in constant time before the body is read, so nobody without it can make the bridge
// buffer anything; answers and failures are JSON, like the rest of the bridge's API.

import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../log.ts";
import type { NetworkHttpRoute } from "../network.ts";
import { tokenMatches } from "./auth.ts";

export const NETWORK_ROUTES_PREFIX = "/_network";
const PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;

export function createNetworkRoutesRouter(options: {
  routes: readonly NetworkHttpRoute[];
  maxBodyBytes: number;
  logger: Logger;
}): express.Router {
  const router = express.Router();
  for (const route of options.routes) {
    if (!PATH.test(route.path))
      throw new Error(`not a valid network route path: ${JSON.stringify(route.path)}`);
    if (route.secret.value === "") throw new Error(`the network route ${route.path} has an empty secret`);
    options.logger.addSecret(route.secret.value);
    const path = `/${route.path}`;
    router.post(
      path,
      (req: Request, res: Response, next: NextFunction) => {
        const given = req.headers[route.secret.header.toLowerCase()];
        if (typeof given !== "string" || !tokenMatches(given, route.secret.value)) {
          res.status(401).json({ errcode: "M_UNKNOWN_TOKEN", error: "missing or wrong secret" });
          return;
        }
        next();
      },
      express.json({ limit: options.maxBodyBytes, type: () => true }),
      (req: Request, res: Response) => {
        route.handle(req.body).then(
          ({ status, body }) => res.status(status).json(body ?? {}),
          (err: unknown) => {
            options.logger.error("a network route failed", { path: route.path, err });
            res.status(500).json({ errcode: "M_UNKNOWN", error: "the bridge could not handle this" });
          },
        );
      },
    );
    router.all(path, (_req: Request, res: Response) => {
      res.status(405).json({ errcode: "M_UNRECOGNIZED", error: "method not allowed; use POST" });
    });
  }
  // A body that is not JSON, or too large: the caller's mistake, answered in JSON rather than Express's HTML page.
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    res
      .status(typeof status === "number" && status >= 400 && status < 500 ? status : 500)
      .json({ errcode: "M_NOT_JSON", error: "the body is not acceptable JSON" });
  });
  return router;
}
