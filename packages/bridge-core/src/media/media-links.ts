// Links to Matrix media that remote users can open. Homeservers serve media only to Matrix users now (authenticated
// media), so a file or a long message bridged to IRC or XMPP is linked to the bridge instead, which fetches it with
// its own token. Anyone holding a link can open it, so each one names exactly one file and is signed: an HMAC-SHA256,
// under a key the bridge generated once and keeps in its store, over the file's server and id, the link's expiry and
// the file name it is served under. Nobody can turn a link into one for another file, a later expiry or another
// name, and a link cannot be made up for a file the bridge never linked.
//
//   <base>/_media/v1/<server>/<media id>/<expires>/<signature>[/<file name>]
//
// `expires` is a Unix time in seconds, or 0 for a link that never expires; the signature is base64url.

import { createHmac, timingSafeEqual } from "node:crypto";
import { type MxcUri, parseMxcUri } from "../ids.ts";
import { safeFilename } from "./served-media.ts";

/** Where the bridge's listener serves the links. */
export const MEDIA_PREFIX = "/_media";
const VERSION = "v1";
const SIGNATURE_BYTES = 32;
const EXPIRES = /^(?:0|[1-9][0-9]{0,11})$/;

export type LinkCheck =
  /** `expires`: Unix seconds, 0 for never. */
  | { ok: true; mxc: MxcUri; expires: number; filename?: string }
  | { ok: false; reason: "malformed" | "signature" | "expired" };

export interface MediaLinksOptions {
  /** The signing key: random, at least 32 bytes, the same across restarts so that earlier links keep working. */
  key: Uint8Array;
  /** Where remote users reach the bridge's listener (no trailing slash); the links start with it. */
  baseUrl: string;
  /** How long a link stays valid; 0: for ever (as long as the key is kept). */
  lifetimeSeconds: number;
  /** The clock, in milliseconds (tests move it). */
  now?: () => number;
}

/** RFC 3986 unreserved characters only, so no IRC client or link detector cuts a link short at `(`, `)` or `'`. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export class MediaLinks {
  private readonly key: Uint8Array;
  private readonly baseUrl: string;
  private readonly lifetimeSeconds: number;
  private readonly now: () => number;

  constructor(options: MediaLinksOptions) {
    if (options.key.byteLength < 32) throw new Error("the media link key must be at least 32 bytes");
    this.key = options.key;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.lifetimeSeconds = options.lifetimeSeconds;
    this.now = options.now ?? Date.now;
  }

  /** A signed link to `mxc`, served under `filename` when one is given (cleaned to a plain base name). */
  link(mxc: MxcUri, filename?: string): string {
    const [server = "", mediaId = ""] = mxc.slice("mxc://".length).split("/");
    const expires =
      this.lifetimeSeconds === 0 ? "0" : String(Math.ceil(this.now() / 1000 + this.lifetimeSeconds));
    const name = safeFilename(filename);
    const signature = this.sign(server, mediaId, expires, name).toString("base64url");
    const path = [VERSION, server, mediaId, expires, signature, ...(name === undefined ? [] : [name])];
    return `${this.baseUrl}${MEDIA_PREFIX}/${path.map(encodeSegment).join("/")}`;
  }

  /** Checks a request path below MEDIA_PREFIX (still percent-encoded, as it arrived). */
  check(path: string): LinkCheck {
    const parts = splitPath(path);
    if (parts === null || (parts.length !== 5 && parts.length !== 6) || parts[0] !== VERSION)
      return { ok: false, reason: "malformed" };
    const [, server = "", mediaId = "", expires = "", signature = "", name] = parts;
    let mxc: MxcUri;
    try {
      mxc = parseMxcUri(`mxc://${server}/${mediaId}`);
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (!EXPIRES.test(expires)) return { ok: false, reason: "malformed" };
    const given = Buffer.from(signature, "base64url");
    // The length is no secret (every signature has it); the bytes are compared in constant time.
    const expected = this.sign(server, mediaId, expires, name);
    if (
      given.byteLength !== SIGNATURE_BYTES ||
      given.toString("base64url") !== signature ||
      !timingSafeEqual(given, expected)
    )
      return { ok: false, reason: "signature" };
    if (expires !== "0" && Number(expires) * 1000 <= this.now()) return { ok: false, reason: "expired" };
    return { ok: true, mxc, expires: Number(expires), ...(name !== undefined && { filename: name }) };
  }

  private sign(server: string, mediaId: string, expires: string, name: string | undefined): Buffer {
    // Fields never hold a newline (the mxc parts are checked, the expiry is digits) except the name, which is last:
    // the message reads back one way only.
    return createHmac("sha256", this.key)
      .update([VERSION, server, mediaId, expires, name ?? ""].join("\n"), "utf8")
      .digest();
  }
}

/** The decoded segments of `/a/b/c`; null when a segment is not valid percent-encoding. */
function splitPath(path: string): string[] | null {
  if (!path.startsWith("/")) return null;
  try {
    return path.slice(1).split("/").map(decodeURIComponent);
  } catch {
    return null;
  }
}
