// Ghost user localparts and portal aliases are built from templates such as `irc_{id}`, where `{id}` stands for a
// remote id. Remote ids may contain any character, while a Matrix localpart may only use `[a-z0-9._=\-/+]`, so the id
// goes through a reversible escaping: the bridge must be able to read the remote id back from a ghost's user id when
// a Matrix user mentions or invites it.

export const TEMPLATE_PLACEHOLDER = "{id}";
const LOCALPART_CHARS = /^[a-z0-9._=\-/+]*$/;
const KEPT_AS_IS = /[a-z0-9.\-/+]/;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Maps any well-formed string to the allowed localpart characters: `a-z0-9.-/+` stay, an uppercase letter becomes `_`
 * and the lowercase letter, `_` becomes `__`, and every other UTF-8 byte becomes `=` and two lowercase hex digits
 * (the mapping suggested by the Matrix specification's appendix on user identifiers).
 */
export function escapeLocalpart(id: string): string {
  // A lone surrogate would be encoded as U+FFFD and could never be read back.
  if (!id.isWellFormed()) throw new RangeError("cannot escape a string with unpaired surrogates");
  let out = "";
  for (const byte of encoder.encode(id)) {
    const ch = String.fromCharCode(byte);
    if (KEPT_AS_IS.test(ch)) out += ch;
    else if (ch >= "A" && ch <= "Z") out += "_" + ch.toLowerCase();
    else if (ch === "_") out += "__";
    else out += "=" + byte.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * The inverse of {@link escapeLocalpart}. Returns null unless `s` is exactly what escapeLocalpart produces for some
 * string, so that one remote id always has one localpart and never two.
 */
export function unescapeLocalpart(s: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const ch = s[i]!;
    if (KEPT_AS_IS.test(ch)) {
      bytes.push(ch.charCodeAt(0));
      i += 1;
    } else if (ch === "_") {
      const next = s[i + 1] ?? "";
      if (next === "_") bytes.push(0x5f);
      else if (next >= "a" && next <= "z") bytes.push(next.toUpperCase().charCodeAt(0));
      else return null;
      i += 2;
    } else if (ch === "=") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      return null;
    }
  }
  let id: string;
  try {
    id = decoder.decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
  // Rejects spellings escapeLocalpart never produces, such as `=61` for `a`.
  return escapeLocalpart(id) === s ? id : null;
}

/** What a usable localpart template looks like, if `template` is not one; null if it is. */
export function templateProblem(template: string): string | null {
  const parts = template.split(TEMPLATE_PLACEHOLDER);
  if (parts.length !== 2) return `expected a template with ${TEMPLATE_PLACEHOLDER} exactly once`;
  // The namespace claims every id the template can make: without a fixed start, `{id}` alone (or `{id}_irc`) would
  // hand the bridge the ids of the homeserver's real users.
  if (parts[0] === "")
    return `expected a fixed prefix before ${TEMPLATE_PLACEHOLDER}, such as irc_${TEMPLATE_PLACEHOLDER}`;
  if (!LOCALPART_CHARS.test(parts.join(""))) {
    return `expected a template of only a-z 0-9 . _ = - / + around ${TEMPLATE_PLACEHOLDER}`;
  }
  return null;
}

/** The fixed text around `{id}` in a usable template; throws for one templateProblem refuses. */
export function templateParts(template: string): [prefix: string, suffix: string] {
  const problem = templateProblem(template);
  if (problem !== null) throw new Error(`invalid localpart template ${JSON.stringify(template)}: ${problem}`);
  const at = template.indexOf(TEMPLATE_PLACEHOLDER);
  return [template.slice(0, at), template.slice(at + TEMPLATE_PLACEHOLDER.length)];
}

/** The localpart for remote id `id`: `fillTemplate("irc_{id}", "Alice")` is `irc__alice`. */
export function fillTemplate(template: string, id: string): string {
  const [prefix, suffix] = templateParts(template);
  if (id === "") throw new RangeError("a remote id cannot be empty");
  return prefix + escapeLocalpart(id) + suffix;
}

/**
 * The remote id a localpart stands for, or null if the localpart was not made by {@link fillTemplate} with this
 * template: `matchTemplate("irc_{id}", "irc__alice")` is `Alice`.
 */
export function matchTemplate(template: string, localpart: string): string | null {
  const [prefix, suffix] = templateParts(template);
  if (localpart.length <= prefix.length + suffix.length) return null;
  if (!localpart.startsWith(prefix) || !localpart.endsWith(suffix)) return null;
  return unescapeLocalpart(localpart.slice(prefix.length, localpart.length - suffix.length));
}
