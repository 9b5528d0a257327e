// Bodies of untrusted size (media from the homeserver or from a link a remote user sent) are read into memory only up
// to a cap: the transfer is stopped the moment it passes, never after the whole thing has arrived.

/** Reads `body` whole, or calls `refuse` (which stops the transfer and returns the error to throw) past `maxBytes`. */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  refuse: () => Promise<Error> | Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw await refuse();
    chunks.push(chunk);
  }
  const data = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return data;
}
