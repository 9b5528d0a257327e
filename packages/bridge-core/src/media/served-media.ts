// How the media proxy answers with a Matrix file: the bytes come from whoever uploaded them, and the link is opened
// by a browser on the bridge's own origin, so nothing in the answer may make a browser run or render active content.
// Only types a browser shows inertly (pictures, sound, video, plain text, PDF) keep their type and open inline;
// everything else — HTML, SVG, XML, scripts, unknown types — is served as opaque bytes to save, with sniffing off
// and a sandboxing Content-Security-Policy on top in case a browser disagrees.

/** Types a browser displays without running anything the file contains. SVG is an image that runs scripts: not here. */
const INLINE_TYPES = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/apng",
  "image/avif",
  "audio/mpeg",
  "audio/mp4",
  "audio/aac",
  "audio/ogg",
  "audio/opus",
  "audio/webm",
  "audio/flac",
  "audio/x-flac",
  "audio/wav",
  "audio/wave",
  "audio/x-wav",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
  "text/plain",
  "application/pdf",
]);

const OPAQUE = "application/octet-stream";
const CHARSET = /^[A-Za-z0-9._-]{1,40}$/;
const MAX_FILENAME_CHARS = 200;

/**
 * Headers every answer carrying a file gets. The CSP is the one Synapse serves media with: a sandbox with nothing
 * allowed but showing the file itself (a browser's page for a video or a PDF loads it from 'self').
 */
export const MEDIA_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy":
    "sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; media-src 'self'; object-src 'self'",
  "cross-origin-resource-policy": "cross-origin",
  "referrer-policy": "no-referrer",
};

export interface ServedType {
  /** The Content-Type to send. */
  contentType: string;
  /** Whether the file may open in the browser (Content-Disposition: inline) rather than be saved. */
  inline: boolean;
}

/** What to send for a file the homeserver says is of `declared` type (its Content-Type header, uploader-chosen). */
export function servedType(declared: string | null | undefined): ServedType {
  const [essence = "", ...params] = (declared ?? "").split(";");
  const type = essence.trim().toLowerCase();
  if (!INLINE_TYPES.has(type)) return { contentType: OPAQUE, inline: false };
  if (type !== "text/plain") return { contentType: type, inline: true };
  // Text keeps a charset it names plainly; without one a browser guesses, which nosniff keeps to text.
  const charset = params
    .map((p) => p.trim().split("="))
    .find(([name]) => name?.trim().toLowerCase() === "charset")?.[1]
    ?.trim()
    .replace(/^"(.*)"$/, "$1");
  return {
    contentType: charset !== undefined && CHARSET.test(charset) ? `text/plain; charset=${charset}` : type,
    inline: true,
  };
}

/**
 * A file name safe to put in a link and a header: its base name only, without control characters or the
 * bidirectional overrides that make `gpj.exe` read as `exe.jpg`; undefined when nothing is left.
 */
export function safeFilename(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const base = name
    .slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1)
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  const cut = Array.from(base).slice(0, MAX_FILENAME_CHARS).join("");
  return cut === "" || cut === "." || cut === ".." ? undefined : cut;
}

/** RFC 8187 percent-encoding: everything but its attr-char set, which is narrower than encodeURIComponent's. */
function encodeExtended(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Content-Disposition (RFC 6266): `inline` or `attachment`, with the name twice — a plain ASCII fallback in
 * `filename` (quotes, backslashes, percent signs and anything outside printable ASCII replaced) and the exact name in
 * `filename*`, which every current browser prefers.
 */
export function contentDisposition(inline: boolean, filename: string | undefined): string {
  const kind = inline ? "inline" : "attachment";
  const name = safeFilename(filename);
  if (name === undefined) return kind;
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeExtended(name)}`;
}
