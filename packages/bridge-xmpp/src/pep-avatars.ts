// Contacts' avatars published with XEP-0084 (User Avatar, in the user's PEP): the metadata node names the current
// image by its SHA-1, the data node holds it. The bridge reads both where the user lets it (an `open` access model;
// nodes only contacts may read stay unread), checks the bytes against the hash, and uploads each image once.

import { createHash, randomUUID } from "node:crypto";
import { type Element, xml } from "@xmpp/xml";
import { type MxcUri, parseMxcUri } from "bridge-core";
import { NS } from "./namespaces.ts";
import type { Transport } from "./transport.ts";

/** Avatars above this size are not copied. */
const MAX_AVATAR_BYTES = 1024 * 1024;

interface Storage {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

/** The avatar the metadata item announces (stored in PEP itself, not linked): its SHA-1 and type; null for none. */
export function announcedAvatar(answer: Element): { id: string; type: string } | null {
  const infos =
    answer
      .getChild("pubsub", NS.pubsub)
      ?.getChild("items")
      ?.getChild("item")
      ?.getChild("metadata", NS.avatarMetadata)
      ?.getChildren("info") ?? [];
  const info = infos.find((i) => i.attrs["url"] === undefined && /^[0-9a-f]{40}$/.test(i.attrs["id"] ?? ""));
  if (info === undefined) return null;
  const type = info.attrs["type"] ?? "";
  return { id: info.attrs["id"]!, type: /^image\/[a-z0-9.+-]+$/i.test(type) ? type : "image/png" };
}

/** The image in a data item answer, if it is the one whose SHA-1 is `id`. */
export function avatarData(answer: Element, id: string): Uint8Array | null {
  const text = answer
    .getChild("pubsub", NS.pubsub)
    ?.getChild("items")
    ?.getChildren("item")
    .find((item) => item.attrs["id"] === id)
    ?.getChildText("data", NS.avatarData)
    ?.replace(/\s+/g, "");
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const data = Buffer.from(text, "base64");
  if (data.byteLength === 0 || data.byteLength > MAX_AVATAR_BYTES) return null;
  return createHash("sha1").update(data).digest("hex") === id ? new Uint8Array(data) : null;
}

export class PepAvatars {
  private readonly deps: {
    transport: Pick<Transport, "request">;
    botJid: string;
    timeoutMs: number;
    storage: Storage;
    upload: (data: Uint8Array, contentType: string) => Promise<MxcUri>;
  };

  constructor(deps: PepAvatars["deps"]) {
    this.deps = deps;
  }

  private items(jid: string, node: string, item?: string): Promise<Element> {
    return this.deps.transport.request(
      xml(
        "iq",
        { from: this.deps.botJid, to: jid, type: "get", id: randomUUID() },
        xml(
          "pubsub",
          { xmlns: NS.pubsub },
          xml(
            "items",
            { node, ...(item === undefined && { max_items: "1" }) },
            item && xml("item", { id: item }),
          ),
        ),
      ),
      this.deps.timeoutMs,
    );
  }

  /** The Matrix avatar for the XEP-0084 avatar of `bare`, or null when it has none the bridge may read. */
  async avatarOf(bare: string): Promise<MxcUri | null> {
    try {
      const announced = announcedAvatar(await this.items(bare, NS.avatarMetadata));
      if (announced === null) return null;
      const known = await this.deps.storage.get(`avatar ${announced.id}`);
      if (typeof known === "string") return parseMxcUri(known);
      const data = avatarData(await this.items(bare, NS.avatarData, announced.id), announced.id);
      if (data === null) return null;
      const url = await this.deps.upload(data, announced.type);
      await this.deps.storage.put(`avatar ${announced.id}`, url);
      return url;
    } catch {
      return null;
    }
  }
}
