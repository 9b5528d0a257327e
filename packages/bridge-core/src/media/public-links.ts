// The bridge's public media links as one piece: the proxy's router (mounted on the listener from the start, answering
// 503 until the store is open), and at start the signing key (made once, then read from the store, so links handed
// out before a restart keep working) and the base URL the links start with.

import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { hostname } from "node:os";
import type express from "express";
import type { MxcUri } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MatrixClient } from "../matrix/client.ts";
import type { BridgeStore } from "../store/store.ts";
import { MediaLinks } from "./media-links.ts";
import { createMediaProxyRouter } from "./media-proxy.ts";

export class PublicLinks {
  /** To mount at MEDIA_PREFIX on the listener, outside the hs_token guard: the link is the permission. */
  readonly router: express.Router;
  private links: MediaLinks | null = null;
  private readonly options: PublicLinksConfig;

  constructor(options: PublicLinksConfig & { client: MatrixClient; maxBytes: number }) {
    this.options = options;
    this.router = createMediaProxyRouter({
      links: () => this.links,
      open: (mxc, opts) => options.client.openMedia(mxc, opts),
      maxBytes: options.maxBytes,
      logger: options.logger,
    });
  }

  /** Once the store is open and the listener listening. */
  async open(store: BridgeStore, listener: PublicLinksOptions["listener"]): Promise<void> {
    this.links = await openPublicLinks({ ...this.options, store, listener });
  }

  /** A link anyone can open to `mxc` (OutgoingMedia.link). */
  link(mxc: MxcUri, filename?: string): string {
    if (this.links === null) throw new Error("the bridge is not started");
    return this.links.link(mxc, filename);
  }
}

const KEY_NAME = "media-link-key";
const KEY_BYTES = 32;

interface PublicLinksConfig {
  /** `media.public_url`, when the admin set it. */
  publicUrl: string | undefined;
  lifetimeSeconds: number;
  logger: Logger;
}

export interface PublicLinksOptions extends PublicLinksConfig {
  store: BridgeStore;
  /** Where the listener is, for the fallback: the registration's URL, else the bind address and port. */
  listener: { registrationUrl: string | null; bindAddress: string; port: number };
}

export async function openPublicLinks(options: PublicLinksOptions): Promise<MediaLinks> {
  const key = await options.store.bridgeSecret(KEY_NAME, () => randomBytes(KEY_BYTES).toString("base64"));
  let baseUrl = options.publicUrl;
  if (baseUrl === undefined) {
    // Never the homeserver's download path: that answers remote users 404 since authenticated media. The listener's
    // own address at least works where remote users share its network (and in tests).
    baseUrl = listenerUrl(options.listener);
    options.logger.warn(
      "media.public_url is not set: links to Matrix files and long messages point at the bridge's own address, which remote users can probably not reach",
      { linkBase: baseUrl },
    );
  }
  return new MediaLinks({
    key: Buffer.from(key, "base64"),
    baseUrl,
    lifetimeSeconds: options.lifetimeSeconds,
  });
}

function listenerUrl(listener: PublicLinksOptions["listener"]): string {
  const { registrationUrl, bindAddress, port } = listener;
  if (registrationUrl !== null) {
    try {
      const url = new URL(registrationUrl);
      if (url.protocol === "http:" || url.protocol === "https:") return url.origin + url.pathname;
    } catch {
      // Not a URL: fall through to the bind address.
    }
  }
  const wildcard = bindAddress === "0.0.0.0" || bindAddress === "::";
  const host = wildcard ? hostname() : bindAddress;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
