// What the bridge's listener serves beside the application service API: metrics, health and bridge state; the
// provisioning API; media links for remote users; the plugin's own endpoints; and a Matrix-style 404 for the rest.

import type express from "express";
import { createNetworkRoutesRouter, NETWORK_ROUTES_PREFIX } from "../appservice/network-routes.ts";
import type { BridgeConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { MEDIA_PREFIX } from "../media/media-links.ts";
import type { PublicLinks } from "../media/public-links.ts";
import type { NetworkPlugin } from "../network.ts";
import { createObservabilityRouter, type ObservabilityRouterOptions } from "../observability/router.ts";
import { createProvisioningRouter, PROVISIONING_PREFIX } from "../provisioning/router.ts";
import type { Plumbing } from "./plumbing.ts";

export interface SideRouterInputs extends Omit<ObservabilityRouterOptions, "logger"> {
  config: BridgeConfig;
  network: NetworkPlugin;
  logger: Logger;
  publicLinks: PublicLinks;
  /** A getter: the plumbing needs the store, which opens when the bridge starts. */
  plumbing: () => Plumbing;
}

export function mountSideRouters(app: express.Express, inputs: SideRouterInputs): void {
  const { config, network, logger, metrics, health, states } = inputs;
  app.use(createObservabilityRouter({ metrics, health, states, logger }));
  if (config.provisioning) {
    const router = createProvisioningRouter({
      secret: config.provisioning.secret,
      plumbing: inputs.plumbing,
      logger: logger.child({ component: "provisioning" }),
    });
    app.use(PROVISIONING_PREFIX, router);
  }
  // Remote users open media links without any token: outside the hs_token guard, checked by their signature.
  app.use(MEDIA_PREFIX, inputs.publicLinks.router);
  if (network.httpRoutes !== undefined && network.httpRoutes.length > 0) {
    const router = createNetworkRoutesRouter({
      routes: network.httpRoutes,
      maxBodyBytes: config.appservice.maxBodyBytes,
      logger: logger.child({ component: "network-routes" }),
    });
    app.use(NETWORK_ROUTES_PREFIX, router);
  }
  // Anything no router took is answered the Matrix way, never with an HTML page.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ errcode: "M_UNRECOGNIZED", error: "unrecognized request" });
  });
}
