// What the rest of the bridge needs to know of encryption without loading the crypto engine (its WebAssembly and the
// in-memory IndexedDB cost memory in every bridge, also those that never encrypt): the event type, and the error
// that stops a start.

export const ENCRYPTED_EVENT = "m.room.encrypted";

/** The homeserver or the registration lacks what encryption needs; the message says what to set. */
export class EncryptionSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncryptionSetupError";
  }
}
