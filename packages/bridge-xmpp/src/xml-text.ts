// Text that goes into a stanza must be a legal XML 1.0 character sequence: the builders escape markup, but a control
// character or a lone surrogate is not escapable at all and would make the server close the whole stream as not
// well-formed. Those characters are dropped. Line ends become `\n`, as every XML parser would turn them into anyway,
// so that what arrives is exactly what was sent; everything else passes unchanged.

import { sanitizeDisplayName } from "bridge-core";

// Tab, line feed and carriage return are the only C0 controls XML allows; U+FFFE and U+FFFF are not characters.
const NOT_XML =
  /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` without the characters XML 1.0 cannot carry. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML, "").replace(/\r\n?/g, "\n");
}

/**
 * A MUC nick from a display name: the bridge's one-line, control-free form of it (sanitizeDisplayName, as every
 * network uses), of legal characters, at most `max` code points, never empty.
 */
export function nickFrom(displayName: string, fallback: string, max = 48): string {
  const line = [...sanitizeDisplayName(xmlSafe(displayName), "")].slice(0, max).join("").trim();
  return line === "" ? fallback : line;
}
