// The file name to give a fetched file. Both the headers and the URL come from the remote side, so whatever they
// say is cut down to a plain base name before the bridge uses it.

/** A file name from Content-Disposition (`filename*` preferred), else from the URL's last path segment. */
export function filenameFrom(disposition: string | undefined, url: URL): string | undefined {
  if (disposition !== undefined) {
    const extended = /(?:^|;)\s*filename\*\s*=\s*([^';]*)'[^';]*'([^;]*)/i.exec(disposition);
    if (extended) {
      const name = sanitiseFilename(decodeExtended(extended[1] ?? "", (extended[2] ?? "").trim()));
      if (name !== undefined) return name;
    }
    const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(disposition);
    if (plain) {
      const raw = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : (plain[2] ?? "").trim();
      const name = sanitiseFilename(raw);
      if (name !== undefined) return name;
    }
  }
  const segment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  try {
    return sanitiseFilename(decodeURIComponent(segment));
  } catch {
    return sanitiseFilename(segment);
  }
}

/** Decodes an RFC 8187 `filename*` value: UTF-8 as such, any other charset byte by byte (ISO-8859-1). */
function decodeExtended(charset: string, value: string): string {
  if (charset.toLowerCase() === "utf-8") {
    try {
      return decodeURIComponent(value);
    } catch {
      return "";
    }
  }
  return value.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** The remote side chooses the name: keep only a plain base name, without control characters. */
function sanitiseFilename(name: string): string | undefined {
  const base = name
    .slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1)
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 255);
  return base === "" || base === "." || base === ".." ? undefined : base;
}
