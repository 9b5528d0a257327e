// XEP-0363: a Matrix file sent to XMPP is put on the XMPP server's own upload service when it offers one, so XMPP
// users fetch it from their server instead of through the bridge. The service is found once (the server's
// disco#items, then each item's disco#info); a file it cannot take, or any failure on the way, leaves the file's own
// link (OutgoingMedia.link, the bridge's media proxy).

import { randomUUID } from "node:crypto";
import type { Element } from "@xmpp/xml";
import type { Logger, OutgoingMedia } from "bridge-core";
import { NS } from "./namespaces.ts";
import { discoInfo, discoItems, uploadSlotRequest } from "./outgoing-stanzas.ts";
import type { Transport } from "./transport.ts";

/** Headers a slot may ask the upload to carry (XEP-0363 §4); any other is dropped, as the XEP says. */
const SLOT_HEADERS = new Set(["authorization", "cookie", "expires"]);

interface UploadService {
  jid: string;
  maxBytes?: number;
}

/** The upload service's size limit, from its disco#info form; undefined when it states none. */
export function maxFileSize(info: Element): number | undefined {
  const form = info
    .getChildren("x", "jabber:x:data")
    .find((x) =>
      x
        .getChildren("field")
        .some((f) => f.attrs["var"] === "FORM_TYPE" && f.getChildText("value") === NS.httpUpload),
    );
  const value = Number(
    form
      ?.getChildren("field")
      .find((f) => f.attrs["var"] === "max-file-size")
      ?.getChildText("value"),
  );
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Where to put the file and where it will be; null for an answer without a usable slot. */
export function readSlot(
  answer: Element,
): { put: string; get: string; headers: Record<string, string> } | null {
  const slot = answer.getChild("slot", NS.httpUpload);
  const put = slot?.getChild("put")?.attrs["url"];
  const get = slot?.getChild("get")?.attrs["url"];
  if (put === undefined || get === undefined || !isHttp(put) || !isHttp(get)) return null;
  const headers: Record<string, string> = {};
  for (const header of slot?.getChild("put")?.getChildren("header") ?? []) {
    const name = header.attrs["name"] ?? "";
    if (SLOT_HEADERS.has(name.toLowerCase())) headers[name] = header.text().replace(/[\r\n]/g, "");
  }
  return { put, get, headers };
}

function isHttp(url: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

export class HttpUpload {
  private readonly deps: {
    transport: Pick<Transport, "request">;
    /** Who asks: the bot, which every server lets use its services from the component. */
    botJid: string;
    /** The server whose services are searched. */
    serverDomain: string;
    timeoutMs: number;
    maxBytes: number;
    logger: Logger;
  };
  private service: UploadService | null | undefined;

  constructor(deps: HttpUpload["deps"]) {
    this.deps = deps;
  }

  /** The file's link on the XMPP server, or null when there is no upload service or it did not take the file. */
  async upload(media: OutgoingMedia): Promise<string | null> {
    try {
      const service = await this.find();
      if (service === null) return null;
      const limit = Math.min(service.maxBytes ?? this.deps.maxBytes, this.deps.maxBytes);
      if (media.size !== undefined && media.size > limit) return null;
      const { data, contentType } = await media.download(limit);
      const type = media.mimetype ?? contentType;
      const answer = await this.deps.transport.request(
        uploadSlotRequest({
          from: this.deps.botJid,
          to: service.jid,
          id: randomUUID(),
          filename: media.filename,
          size: data.byteLength,
          contentType: type,
        }),
        this.deps.timeoutMs,
      );
      const slot = readSlot(answer);
      if (slot === null) throw new Error("the upload service answered without a usable slot");
      const response = await fetch(slot.put, {
        method: "PUT",
        body: data,
        headers: { ...slot.headers, "content-type": type },
        signal: AbortSignal.timeout(this.deps.timeoutMs * 4),
      });
      if (!response.ok) throw new Error(`the upload service refused the file: HTTP ${response.status}`);
      return slot.get;
    } catch (err) {
      this.deps.logger.warn("could not upload a file to the XMPP server; sending the bridge's link", {
        err: err instanceof Error ? err.message : err,
      });
      return null;
    }
  }

  /** The server's upload service, looked for once; a failed look is tried again next time. */
  private async find(): Promise<UploadService | null> {
    if (this.service !== undefined) return this.service;
    const { transport, botJid, serverDomain, timeoutMs } = this.deps;
    const items = await transport.request(
      discoItems({ from: botJid, to: serverDomain, id: randomUUID() }),
      timeoutMs,
    );
    const jids = (items.getChild("query", NS.discoItems)?.getChildren("item") ?? [])
      .map((item) => item.attrs["jid"])
      .filter((jid): jid is string => jid !== undefined);
    this.service = null;
    for (const jid of jids) {
      const info = await transport
        .request(discoInfo({ from: botJid, to: jid, id: randomUUID() }), timeoutMs)
        .catch(() => null);
      const query = info?.getChild("query", NS.discoInfo);
      if (query?.getChildren("feature").some((f) => f.attrs["var"] === NS.httpUpload) !== true) continue;
      const maxBytes = maxFileSize(query);
      this.service = { jid, ...(maxBytes !== undefined && { maxBytes }) };
      break;
    }
    this.deps.logger.info("XEP-0363 upload service", { service: this.service?.jid ?? "none" });
    return this.service;
  }
}
