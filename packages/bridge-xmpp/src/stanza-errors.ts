// Stanza errors in words a Matrix user understands: what the server refused, and its own explanation if it gave one.

import type { StanzaError } from "./incoming-stanzas.ts";

const REASONS: Record<string, string> = {
  conflict: "the nickname is already taken there",
  forbidden: "you are banned or not allowed to do that",
  "not-authorized": "it needs a password",
  "registration-required": "it is members-only",
  "service-unavailable": "it is full or unavailable",
  "item-not-found": "it does not exist",
  "not-allowed": "it does not allow that",
  "jid-malformed": "the nickname is not allowed",
  "not-acceptable": "you are not in the room or not allowed to speak",
  "remote-server-not-found": "its server cannot be reached",
  "recipient-unavailable": "the recipient is unavailable",
  "resource-constraint": "the server is overloaded",
};

export function describeStanzaError(error: StanzaError): string {
  const text = error.text ? ` (${error.text})` : "";
  return `${REASONS[error.condition] ?? error.condition}${text}`;
}
