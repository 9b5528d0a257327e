// GET /metrics (Prometheus text), GET /health (JSON, 503 while a part is down: the store, the homeserver, a network
// connection), GET /ready (200 once the bridge runs and takes transactions, 503 while it starts or stops: for an
// orchestrator or a systemd readiness probe) and GET /bridge_state (the `com.beeper.bridge_state`-style state as JSON,
// with users' connections counted, never named). None asks for a token: they
// are served on the bridge's own listen address for a scraper or an orchestrator's probe, and their output holds
// counts and states only, never a credential. Errors are answered here rather than passed on, so that no error
// handler mounted elsewhere, nor Express's default one, can print a stack trace to an unauthenticated caller.

import express, { type Request, type Response } from "express";
import type { Logger } from "../log.ts";
import type { BridgeStates } from "./bridge-state.ts";
import type { HealthState } from "./health.ts";
import type { BridgeMetrics } from "./metrics.ts";

export interface ObservabilityRouterOptions {
  /** Absent when metrics are disabled in the configuration; /metrics then is not served at all. */
  metrics?: BridgeMetrics;
  health: HealthState;
  /** Absent in tests that only look at health; then /ready and /bridge_state are not served. */
  states?: BridgeStates;
  logger?: Logger;
}

export function createObservabilityRouter(options: ObservabilityRouterOptions): express.Router {
  const { metrics, health, states, logger } = options;
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

  if (states !== undefined) {
    // Readiness is not health: a bridge whose network is down still takes and keeps transactions.
    router.get("/ready", (_req: Request, res: Response) => {
      noStore(res);
      const ready = states.running;
      res.status(ready ? 200 : 503).json({ ready });
    });
    router.get("/bridge_state", (_req: Request, res: Response) => {
      noStore(res);
      try {
        res.status(200).json(states.snapshot());
      } catch (err) {
        logger?.error("bridge state snapshot failed", { err });
        res.status(500).json({ state_event: "UNKNOWN_ERROR" });
      }
    });
  }

  return router;
}
