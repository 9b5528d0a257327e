// The parts of a running XMPP bridge and how they hold each other: the main connection, users' own accounts, the
// transport that picks the stream a stanza goes out on, the MUCs, presence, and the two directions (inbound.ts,
// outbound.ts). Made with the plugin; xmpp-network.ts only starts and stops them.

import type { NetworkContext } from "bridge-core";
import { ClientLogins } from "./client-logins.ts";
import type { XmppConfig } from "./config.ts";
import { HttpUpload } from "./http-upload.ts";
import { Inbound } from "./inbound.ts";
import { type MainConnection, mainConnection, serverDomainOf } from "./main-connection.ts";
import { MessageIds } from "./message-ids.ts";
import { MucRooms } from "./muc-rooms.ts";
import { Outbound } from "./outbound.ts";
import { PepAvatars } from "./pep-avatars.ts";
import { PUPPET_RESOURCE, type PuppetJids } from "./puppet-jids.ts";
import { PuppetPresence } from "./puppet-presence.ts";
import { Reflections } from "./reflections.ts";
import { SharedFiles } from "./shared-files.ts";
import { Transport } from "./transport.ts";
import { VCardAvatars } from "./vcard-avatars.ts";

export interface XmppParts {
  connection: MainConnection;
  transport: Transport;
  accounts: ClientLogins;
  rooms: MucRooms;
  inbound: Inbound;
  outbound: Outbound;
  presence: PuppetPresence;
  reflections: Reflections;
}

export interface XmppPartsInputs {
  config: XmppConfig;
  context: NetworkContext;
  puppets: PuppetJids;
  botJid: string;
  timeoutMs: number;
}

export function makeXmppParts(inputs: XmppPartsInputs): XmppParts {
  const { config, context, puppets, botJid, timeoutMs } = inputs;
  const connection = mainConnection(config, timeoutMs, context.logger);
  const reflections = new Reflections();
  const ids = new MessageIds(context.storage);
  // Accounts and rooms report to inbound, which needs them in turn: they only call it once stanzas flow.
  let inbound: Inbound | null = null;
  const accounts = new ClientLogins({
    ...(config.accounts.service !== undefined && { service: config.accounts.service }),
    resource: "matrix-bridge",
    timeoutMs: timeoutMs,
    logger: context.logger,
    onStanza: (stanza) => inbound?.handle(stanza),
    onReconnect: (fullJid) => rooms.forgetJid(fullJid),
    onState: (userId, state, reason) =>
      context.connectionState({ connection: userId, state, ...(reason !== undefined && { reason }) }),
  });
  const transport = new Transport(connection, (full) => accounts.byFullJid(full));
  const rooms = new MucRooms({
    transport,
    botJid: botJid,
    timeoutMs: timeoutMs,
    onOccupant: (change) => inbound?.occupant(change),
    onPower: (power) => inbound?.power(power),
    onPhoto: (room, nick) => inbound?.photo(room, nick),
    onPresence: (room, nick, presence) => inbound?.occupantPresence(room, nick, presence),
  });
  const presence = new PuppetPresence({
    transport,
    rooms,
    storage: context.storage,
    accountJid: (userId) => accounts.fullJidOf(userId),
    puppetResource: PUPPET_RESOURCE,
  });
  // vCard photos and PEP avatars are fetched and uploaded the same way.
  const avatarSources = {
    transport,
    botJid: botJid,
    timeoutMs: timeoutMs,
    storage: context.storage,
    upload: (data: Uint8Array, contentType: string) => context.media.upload(data, contentType, "avatar"),
  };
  inbound = new Inbound({
    botJid: botJid,
    rooms,
    reflections,
    ids,
    puppets: puppets,
    accountUser: (bare) => accounts.userOf(bare),
    storage: context.storage,
    remote: context.remote,
    files: new SharedFiles({
      fetchRemote: context.media.fetchRemote,
      maxBytes: config.max_file_bytes,
      logger: context.logger,
    }),
    avatars: new VCardAvatars(avatarSources),
    pepAvatars: new PepAvatars(avatarSources),
    contacts: presence,
    logger: context.logger,
  });
  const outbound = new Outbound({
    transport,
    accountJid: (userId) => accounts.fullJidOf(userId),
    rooms,
    reflections,
    ids,
    puppets: puppets,
    storage: context.storage,
    botJid: botJid,
    timeoutMs: timeoutMs,
    contacts: presence,
    upload: new HttpUpload({
      transport,
      botJid: botJid,
      serverDomain: serverDomainOf(config),
      timeoutMs: timeoutMs,
      maxBytes: config.max_file_bytes,
      logger: context.logger,
    }),
  });
  connection.onStanza((stanza) => inbound.handle(stanza));
  return { connection, transport, accounts, rooms, inbound, outbound, presence, reflections };
}
