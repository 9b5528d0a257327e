// What a relayed message looks like on the remote network, and the display names that go into it. The relay speaks
// for many people through one account, so the only thing telling remote users who said a line is the prefix the
// template puts before it: a line without it reads as the relay account's own words — or, written as "alice: …", as
// someone else's. So every line carries the prefix, and a display name can never break out of it (no line breaks,
// no controls that reorder or hide text).

import type { RelayMarks } from "../rich-text.ts";

/** The longest display name used, in code points: enough for any real name, too short to fill a line with. */
export const MAX_DISPLAY_NAME_LENGTH = 64;

// Controls (C0, DEL, C1), line and paragraph separators, and the bidirectional formatting characters that can make
// a name display as something else (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069). IRC formatting codes are C0
// controls, so they go too. Lone surrogates cannot be encoded by any protocol.
const UNSAFE =
  /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/**
 * A display name as the bridge uses it on any network (relay prefixes, quotes, nicks, captions): one line, without
 * control or bidirectional formatting characters, spaces collapsed, at most `MAX_DISPLAY_NAME_LENGTH` code points;
 * `fallback` when nothing is left.
 */
export function sanitizeDisplayName(name: string, fallback: string): string {
  const cleaned = name.replace(UNSAFE, " ").replace(/\s+/gu, " ").trim();
  const short = [...cleaned].slice(0, MAX_DISPLAY_NAME_LENGTH).join("").trim();
  return short === "" ? fallback : short;
}

/** One line of text from user content that must stay on one line (a reaction key in a fallback, …). */
export function singleLine(text: string): string {
  return text.replace(UNSAFE, " ").replace(/\s+/gu, " ").trim();
}

export function fillRelayTemplate(template: string, displayName: string, message: string): string {
  // One pass, so a display name containing "{message}" is not expanded again.
  return template.replace(/\{(displayname|message)\}/g, (_, key: string) =>
    key === "displayname" ? displayName : message,
  );
}

/**
 * How a relayed message is marked with its sender: what the template puts before and after `{message}`, filled in
 * for `displayName`; an emote reads `* name text`. The plugin puts the marks on every line it sends.
 */
export function relayMarks(template: string, displayName: string, emote = false): RelayMarks {
  if (emote) return { displayName, before: `* ${displayName} `, after: "" };
  const at = template.indexOf("{message}");
  const [head, tail] =
    at < 0 ? [template, ""] : [template.slice(0, at), template.slice(at + "{message}".length)];
  return {
    displayName,
    before: fillRelayTemplate(head, displayName, ""),
    after: fillRelayTemplate(tail, displayName, ""),
  };
}
