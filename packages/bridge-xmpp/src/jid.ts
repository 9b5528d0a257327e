// JIDs as the bridge handles them: split into parts, bare and full, and XEP-0106 escaping so that any Matrix user id
// fits into the local part of a puppet JID on the bridge's component domain.

export interface Jid {
  local: string;
  domain: string;
  resource: string;
}

/** `room@muc.example.org/Nick` → its parts; null for something that is not a JID. */
export function parseJid(text: string): Jid | null {
  const slash = text.indexOf("/");
  const bare = slash === -1 ? text : text.slice(0, slash);
  const resource = slash === -1 ? "" : text.slice(slash + 1);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at);
  const domain = (at === -1 ? bare : bare.slice(at + 1)).toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(domain) || (at !== -1 && local === "")) return null;
  if (slash !== -1 && resource === "") return null;
  return { local, domain, resource };
}

export function bareJid(jid: Jid): string {
  return jid.local === "" ? jid.domain : `${jid.local}@${jid.domain}`;
}

export function fullJid(jid: Jid): string {
  return jid.resource === "" ? bareJid(jid) : `${bareJid(jid)}/${jid.resource}`;
}

// XEP-0106: the characters a local part may not hold, and the backslash itself so that escaping is reversible.
const ESCAPED = new Map<string, string>([
  [" ", "\\20"],
  ['"', "\\22"],
  ["&", "\\26"],
  ["'", "\\27"],
  ["/", "\\2f"],
  [":", "\\3a"],
  ["<", "\\3c"],
  [">", "\\3e"],
  ["@", "\\40"],
  ["\\", "\\5c"],
]);
const UNESCAPED = new Map([...ESCAPED].map(([ch, seq]) => [seq, ch]));

/** XEP-0106 escaping of a local part: `alice:example.org` → `alice\3aexample.org`. */
export function escapeLocal(text: string): string {
  let out = "";
  for (const ch of text) out += ESCAPED.get(ch) ?? ch;
  return out;
}

/** The inverse of {@link escapeLocal}; null for text it never produces. */
export function unescapeLocal(text: string): string | null {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!;
    if (ch === "\\") {
      const seq = UNESCAPED.get(text.slice(i, i + 3).toLowerCase());
      if (seq === undefined) return null;
      out += seq;
      i += 3;
    } else if (ESCAPED.has(ch)) {
      return null;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}
