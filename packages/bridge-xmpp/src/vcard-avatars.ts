// Occupants' avatars: an XMPP client announces its vCard photo's SHA-1 in its presence (XEP-0153); when a new one
// shows, the bridge asks for the vCard (XEP-0054, through the room to the occupant), uploads the photo to Matrix once
// per distinct image, and gives the occupant's ghost that avatar.

import { createHash, randomUUID } from "node:crypto";
import { type Element, xml } from "@xmpp/xml";
import { type MxcUri, parseMxcUri } from "bridge-core";
import { NS } from "./namespaces.ts";
import type { Transport } from "./transport.ts";

/** Avatars above this size are not copied (vCard photos are meant to be small). */
const MAX_PHOTO_BYTES = 1024 * 1024;

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

/** The photo in a vCard answer: its bytes and type, or null when there is none (or it is not valid base64). */
export function photoOf(answer: Element): { data: Uint8Array; type: string } | null {
  const photo = answer.getChild("vCard", NS.vcard)?.getChild("PHOTO");
  const binval = photo?.getChildText("BINVAL")?.replace(/\s+/g, "");
  if (!binval || !/^[A-Za-z0-9+/]+={0,2}$/.test(binval)) return null;
  const data = Buffer.from(binval, "base64");
  if (data.byteLength === 0 || data.byteLength > MAX_PHOTO_BYTES) return null;
  const type = photo?.getChildText("TYPE")?.trim() || "image/png";
  return { data: new Uint8Array(data), type: /^image\/[a-z0-9.+-]+$/i.test(type) ? type : "image/png" };
}

export class VCardAvatars {
  private readonly deps: {
    transport: Transport;
    botJid: string;
    timeoutMs: number;
    storage: Storage;
    upload: (data: Uint8Array, contentType: string) => Promise<MxcUri>;
  };

  constructor(deps: VCardAvatars["deps"]) {
    this.deps = deps;
  }

  /** The Matrix avatar for `jid`'s vCard photo, or null when it has none or does not answer. */
  async avatarOf(jid: string): Promise<MxcUri | null> {
    let answer: Element;
    try {
      answer = await this.deps.transport.request(
        xml(
          "iq",
          { from: this.deps.botJid, to: jid, type: "get", id: randomUUID() },
          xml("vCard", { xmlns: NS.vcard }),
        ),
        this.deps.timeoutMs,
      );
    } catch {
      return null;
    }
    const photo = photoOf(answer);
    if (photo === null) return null;
    const hash = createHash("sha1").update(photo.data).digest("hex");
    const known = await this.deps.storage.get(`avatar ${hash}`);
    if (typeof known === "string") return parseMxcUri(known);
    const url = await this.deps.upload(photo.data, photo.type);
    await this.deps.storage.put(`avatar ${hash}`, url);
    return url;
  }
}
