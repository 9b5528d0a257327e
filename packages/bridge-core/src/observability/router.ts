// GET /metrics (Prometheus text) and GET /health (JSON, 503 when a part is down). Neither asks for a token: they
// are served on the bridge's own listen address for a scraper or an orchestrator's probe, and their output holds
// counts and states only, never a credential. Errors are answered here rather than passed on, so that no error
// handler mounted elsewhere, nor Express's default one, can print a stack trace to an unauthenticated caller.

import express, { type Request, type Response } from "express";
import type { Logger } from "../log.ts";
import type { HealthState } from "./health.ts";
import type { BridgeMetrics } from "./metrics.ts";

export interface ObservabilityRouterOptions {
  /** Absent when metrics are disabled in the configuration; /metrics then is not served at all. */
  metrics?: BridgeMetrics;
  health: HealthState;
  logger?: Logger;
}

export function createObservabilityRouter(options: ObservabilityRouterOptions): express.Router {
  const { metrics, health, logger } = options;
  const router = express.Router();

  // Both answers describe the moment of the request; a cached copy would hide an outage.
  const noStore = (res: Response): void => {
    res.set("Cache-Control", "no-store");
  };

  if (metrics !== undefined) {
    router.get("/metrics", async (_req: Request, res: Response) => {
      noStore(res);
      try {
        const body = await metrics.metricsText();
        res.status(200).set("Content-Type", metrics.contentType).send(body);
      } catch (err) {
        logger?.error("metrics collection failed", { err });
        res.status(500).type("text/plain").send("metrics collection failed\n");
      }
    });
  }

  router.get("/health", (_req: Request, res: Response) => {
    noStore(res);
    try {
      const snapshot = health.snapshot();
      res.status(snapshot.ok ? 200 : 503).json(snapshot);
    } catch (err) {
      logger?.error("health snapshot failed", { err });
      res.status(500).json({ ok: false, components: {} });
    }
  });

  return router;
}
