// An XMPP user for end-to-end tests, on @xmpp/client (xmpp.js, the library the bridge is built on), logged in with a
// real account over a plain-text stream on loopback. Every stanza it receives is kept in order, so a test can wait
// for something that may already have arrived by the time it asks.

import { createHash, randomBytes } from "node:crypto";
import { type Client, client, xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { decodeWholeCharacters } from "bridge-xmpp";
import type { XmppServer } from "./xmpp-server.ts";

const DEFAULT_WAIT_MS = 15_000;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";

export class XmppTestClient {
  readonly jid: string;
  private readonly xmpp: Client;
  private readonly received: Element[] = [];
  private readonly waiters = new Set<{ matches: (s: Element) => boolean; resolve: (s: Element) => void }>();

  private readonly localpart: string;
  private readonly password: string;

  private constructor(xmpp: Client, jid: string, localpart: string, password: string) {
    this.xmpp = xmpp;
    this.jid = jid;
    this.localpart = localpart;
    this.password = password;
    xmpp.on("stanza", (stanza) => {
      this.received.push(stanza);
      for (const waiter of this.waiters) {
        if (waiter.matches(stanza)) {
          this.waiters.delete(waiter);
          waiter.resolve(stanza);
        }
      }
    });
  }

  /** Registers `localpart` on the server and logs in as it. */
  static async connect(server: XmppServer, localpart: string): Promise<XmppTestClient> {
    const password = randomBytes(12).toString("hex");
    await server.register(localpart, password);
    return XmppTestClient.login(server, localpart, password);
  }

  /** Logs in again as the account an earlier (closed) client used, e.g. after the server restarted. */
  static reconnect(server: XmppServer, previous: XmppTestClient): Promise<XmppTestClient> {
    return XmppTestClient.login(server, previous.localpart, previous.password);
  }

  private static async login(
    server: XmppServer,
    localpart: string,
    password: string,
  ): Promise<XmppTestClient> {
    const xmpp = client({
      service: `xmpp://${server.host}:${server.c2sPort}`,
      domain: server.domain,
      username: localpart,
      password,
      resource: "test",
    });
    // The bridge's own fix for characters split between TCP chunks, or long non-ASCII bodies would arrive damaged.
    decodeWholeCharacters(xmpp);
    xmpp.on("error", () => {});
    const jid = await xmpp.start();
    xmpp.reconnect.stop();
    await xmpp.send(xml("presence"));
    return new XmppTestClient(xmpp, jid.toString(), localpart, password);
  }

  /** The stanzas received so far, oldest first. */
  get stanzas(): readonly Element[] {
    return this.received;
  }

  /** Resolves with the first stanza (already received or still to come) that matches. */
  waitFor(
    matches: (stanza: Element) => boolean,
    description = "a stanza",
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Element> {
    const seen = this.received.find(matches);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (stanza: Element) => {
          clearTimeout(timer);
          resolve(stanza);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const tail = this.received.slice(-10).map((s) => s.toString().slice(0, 400));
        reject(
          new Error(
            `${this.jid} waited ${timeoutMs} ms for ${description}; last stanzas:\n${tail.join("\n")}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** A message whose body is `body`, from `from` (an occupant JID, or a bare JID prefix for 1:1 chats). */
  waitForBody(from: string, body: string): Promise<Element> {
    return this.waitFor(
      (s) =>
        s.name === "message" && (s.attrs["from"] ?? "").startsWith(from) && s.getChildText("body") === body,
      `${JSON.stringify(body.slice(0, 80))} from ${from}`,
    );
  }

  /** Joins (or creates) a MUC as `nick` and resolves once the room reflects the join. */
  async joinRoom(room: string, nick: string, extra: Element[] = []): Promise<void> {
    await this.send(
      xml(
        "presence",
        { to: `${room}/${nick}` },
        xml("x", { xmlns: MUC }, xml("history", { maxstanzas: "0" })),
        ...extra,
      ),
    );
    await this.waitFor(
      (s) =>
        s.name === "presence" &&
        s.attrs["from"] === `${room}/${nick}` &&
        s
          .getChild("x", MUC_USER)
          ?.getChildren("status")
          .some((c) => c.attrs["code"] === "110") === true,
      `the join of ${room}`,
    );
  }

  /**
   * Stores a vCard with `photo` on the server (XEP-0054) and resolves with the presence element that announces it
   * (XEP-0153), to be sent with a join.
   */
  async publishAvatar(photo: Buffer, type: string): Promise<Element> {
    const vcard = xml(
      "vCard",
      { xmlns: "vcard-temp" },
      xml("PHOTO", {}, xml("TYPE", {}, type), xml("BINVAL", {}, photo.toString("base64"))),
    );
    await this.xmpp.iqCaller.request(xml("iq", { type: "set", id: randomBytes(8).toString("hex") }, vcard));
    const hash = createHash("sha1").update(photo).digest("hex");
    return xml("x", { xmlns: "vcard-temp:x:update" }, xml("photo", {}, hash));
  }

  /**
   * Publishes `photo` as this account's XEP-0084 avatar (data, then metadata), readable by anyone (`open`), as
   * clients that share their avatar publicly do.
   */
  async publishPepAvatar(photo: Buffer, type: string): Promise<void> {
    const id = createHash("sha1").update(photo).digest("hex");
    const openToAll = xml(
      "publish-options",
      {},
      xml(
        "x",
        { xmlns: "jabber:x:data", type: "submit" },
        xml(
          "field",
          { var: "FORM_TYPE", type: "hidden" },
          xml("value", {}, "http://jabber.org/protocol/pubsub#publish-options"),
        ),
        xml("field", { var: "pubsub#access_model" }, xml("value", {}, "open")),
      ),
    );
    const publish = (node: string, payload: Element) =>
      this.xmpp.iqCaller.request(
        xml(
          "iq",
          { type: "set", id: randomBytes(8).toString("hex") },
          xml(
            "pubsub",
            { xmlns: "http://jabber.org/protocol/pubsub" },
            xml("publish", { node }, xml("item", { id }, payload)),
            openToAll,
          ),
        ),
      );
    await publish(
      "urn:xmpp:avatar:data",
      xml("data", { xmlns: "urn:xmpp:avatar:data" }, photo.toString("base64")),
    );
    await publish(
      "urn:xmpp:avatar:metadata",
      xml(
        "metadata",
        { xmlns: "urn:xmpp:avatar:metadata" },
        xml("info", { id, type, bytes: String(photo.byteLength) }),
      ),
    );
  }

  async leaveRoom(room: string, nick: string): Promise<void> {
    await this.send(xml("presence", { to: `${room}/${nick}`, type: "unavailable" }));
  }

  /** Sends a groupchat message with `id` (made up when not given) and optional extra children. */
  async say(room: string, body: string, options: { id?: string; extra?: Element[] } = {}): Promise<string> {
    const id = options.id ?? randomBytes(8).toString("hex");
    await this.send(
      xml("message", { to: room, type: "groupchat", id }, xml("body", {}, body), ...(options.extra ?? [])),
    );
    return id;
  }

  async send(stanza: Element): Promise<void> {
    await this.xmpp.send(stanza);
  }

  async close(): Promise<void> {
    await this.xmpp.stop().catch(() => {});
  }
}
