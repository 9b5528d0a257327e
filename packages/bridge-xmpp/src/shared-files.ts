// Files shared on XMPP arrive as a link: an XEP-0066 out-of-band URL whose body is that same URL (how XEP-0363
// uploads are sent). Such a message becomes a Matrix media message with the file itself; when the file cannot be
// fetched (too big, unreachable, a private address the admin did not allow), the link stays as text so nothing is
// lost.

import type { Logger, NetworkContext, RemoteMessage } from "bridge-core";

type Media = NonNullable<RemoteMessage["media"]>;

/** The kind of media for a MIME type. */
export function mediaKind(mimetype: string): Media["kind"] {
  if (mimetype.startsWith("image/")) return "image";
  if (mimetype.startsWith("video/")) return "video";
  if (mimetype.startsWith("audio/")) return "audio";
  return "file";
}

/** The file's name from the URL's last path segment, else a neutral one. */
export function filenameOf(url: string): string {
  try {
    const last = new URL(url).pathname
      .split("/")
      .filter((part) => part !== "")
      .at(-1);
    return last === undefined ? "file" : decodeURIComponent(last);
  } catch {
    return "file";
  }
}

export class SharedFiles {
  private readonly fetchRemote: NetworkContext["media"]["fetchRemote"];
  private readonly maxBytes: number;
  private readonly logger: Logger;

  constructor(options: {
    fetchRemote: NetworkContext["media"]["fetchRemote"];
    maxBytes: number;
    logger: Logger;
  }) {
    this.fetchRemote = options.fetchRemote;
    this.maxBytes = options.maxBytes;
    this.logger = options.logger;
  }

  /** The file a message shares, or undefined when it shares none or the file cannot be had. */
  async of(message: { body: string; oobUrl?: string }): Promise<Media | undefined> {
    const url = message.oobUrl;
    if (url === undefined || message.body.trim() !== url) return undefined;
    if (!/^https?:\/\//i.test(url)) return undefined;
    try {
      const file = await this.fetchRemote(url, { maxBytes: this.maxBytes, timeoutMs: 30_000 });
      const mimetype = file.contentType.split(";")[0]!.trim() || "application/octet-stream";
      return {
        data: file.data,
        mimetype,
        filename: file.filename ?? filenameOf(url),
        kind: mediaKind(mimetype),
      };
    } catch (err) {
      this.logger.info("a shared file stays a link", {
        err: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }
}
