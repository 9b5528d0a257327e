// The registration's namespaces: regexes claiming the ids the bridge's templates (templates.ts) can make, and no more.

import { templateParts } from "../templates.ts";

/** Escapes `text` for use inside a regular expression, in the subset of syntax that JavaScript and Python share. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A registration namespace regex claiming ids of the bridge's own server whose localpart is `localpart` (already a
 * regex). Anchored at both ends: Synapse tests namespaces with Python's `re.match`, which anchors only the start, so
 * `@irc_.*:example\.org` would also claim `@irc_x:example.org.evil.net`. The localpart part never crosses a `:`
 * (no localpart or escaped alias holds one), so it cannot reach into the server name either.
 */
export function namespaceRegex(sigil: "@" | "#", localpart: string, domain: string): string {
  return `^${sigil}${localpart}:${escapeRegex(domain)}$`;
}

/**
 * The registration namespace regex for every id a template can produce: `irc_{id}` with sigil `@` and domain
 * `example.org` gives `^@irc_[^:]+:example\.org$`.
 */
export function templateToRegex(template: string, sigil: "@" | "#", domain: string): string {
  const [prefix, suffix] = templateParts(template);
  return namespaceRegex(sigil, `${escapeRegex(prefix)}[^:]+${escapeRegex(suffix)}`, domain);
}
