// xmpp.js decodes each chunk the socket delivers on its own (`data.toString("utf8")` in @xmpp/connection), so a
// character whose bytes fall on both sides of a chunk boundary arrives as replacement characters: long non-ASCII
// messages lose characters at random. Each connection gets a decoder instead that keeps the bytes of an unfinished
// character for the next chunk; every new socket starts with a fresh one.

import { StringDecoder } from "node:string_decoder";

interface ChunkedConnection {
  _onData(data: Buffer): void;
  parser: { write(text: string): void } | null;
  on(event: "connect", listener: () => void): void;
}

/** Makes `connection` (an xmpp.js component or client, before it starts) decode its stream whole. */
export function decodeWholeCharacters(connection: object): void {
  const entity = connection as ChunkedConnection;
  let decoder = new StringDecoder("utf8");
  entity.on("connect", () => {
    decoder = new StringDecoder("utf8");
  });
  // xmpp.js binds this method to the socket's data events when it attaches a socket, so replacing it before
  // start() is enough.
  entity._onData = function onData(this: ChunkedConnection, data: Buffer): void {
    this.parser?.write(decoder.write(data));
  };
}
