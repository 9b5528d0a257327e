// The XML namespaces of the XMPP extensions the bridge speaks.

export const NS = {
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  discoInfo: "http://jabber.org/protocol/disco#info",
  delay: "urn:xmpp:delay",
  stanzaId: "urn:xmpp:sid:0",
  correction: "urn:xmpp:message-correct:0",
  retract: "urn:xmpp:message-retract:1",
  retractLegacy: "urn:xmpp:message-retract:0",
  fasten: "urn:xmpp:fasten:0",
  fallback: "urn:xmpp:fallback:0",
  reply: "urn:xmpp:reply:0",
  reactions: "urn:xmpp:reactions:0",
  chatStates: "http://jabber.org/protocol/chatstates",
  chatMarkers: "urn:xmpp:chat-markers:0",
  hints: "urn:xmpp:hints",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  oob: "jabber:x:oob",
  vcard: "vcard-temp",
  vcardUpdate: "vcard-temp:x:update",
} as const;
