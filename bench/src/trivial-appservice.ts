// The floor of the Matrix side: an application service that does nothing but acknowledge the homeserver's
// transactions and note when each event arrived, and can speak into a room as its bot. Registered for every room
// (non-exclusively), so the homeserver sends it whatever happens anywhere, as it does a bridge for its rooms.

import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Registration, writeRegistration } from "bridge-core/bridge";
import { freePort } from "../../test/harness/free-port.ts";
import { matrixRequest } from "../../test/harness/matrix-request.ts";

export interface ArrivedEvent {
  type: string;
  room_id?: string;
  content?: { body?: unknown };
}

export class TrivialAppservice {
  readonly registrationPath: string;
  private readonly registration: Registration;
  private readonly server: Server;
  private readonly domain: string;
  private homeserverUrl = "";
  /** Called with every event the homeserver sends, as it arrives. */
  onEvent: (event: ArrivedEvent) => void = () => undefined;

  private constructor(registrationPath: string, registration: Registration, domain: string) {
    this.registrationPath = registrationPath;
    this.registration = registration;
    this.domain = domain;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (req.headers.authorization !== `Bearer ${registration.hs_token}`) {
          res.writeHead(403, { "content-type": "application/json" });
          res.end('{"errcode":"M_FORBIDDEN"}');
          return;
        }
        if (req.method === "PUT" && req.url?.includes("/transactions/")) {
          const { events = [] } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            events?: ArrivedEvent[];
          };
          for (const event of events) this.onEvent(event);
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
  }

  /** Writes its registration into `dir` (load it into the homeserver), and listens once `listen` is called. */
  static async create(dir: string, domain: string): Promise<TrivialAppservice> {
    const port = await freePort();
    const registration: Registration = {
      id: "floor",
      url: `http://127.0.0.1:${port}`,
      as_token: randomBytes(32).toString("hex"),
      hs_token: randomBytes(32).toString("hex"),
      sender_localpart: "floorbot",
      namespaces: {
        users: [{ exclusive: true, regex: `@floor_.*:${domain.replace(/\./g, "\\.")}` }],
        aliases: [],
        rooms: [{ exclusive: false, regex: ".*" }],
      },
      rate_limited: false,
      protocols: [],
      receive_ephemeral: false,
      "de.sorunome.msc2409.push_ephemeral": false,
    };
    const path = join(dir, "floor.registration.yaml");
    writeRegistration(path, registration);
    const appservice = new TrivialAppservice(path, registration, domain);
    await new Promise<void>((resolve) => appservice.server.listen(port, "127.0.0.1", resolve));
    return appservice;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get botUserId(): string {
    return `@${this.registration.sender_localpart}:${this.domain}`;
  }

  /** Where its bot reaches the homeserver, once that has started. */
  useHomeserver(url: string): void {
    this.homeserverUrl = url;
  }

  async join(roomId: string): Promise<void> {
    await this.botRequest("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  }

  async sendText(roomId: string, body: string): Promise<void> {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${randomUUID()}`;
    await this.botRequest("PUT", path, { msgtype: "m.text", body });
  }

  private botRequest(method: string, path: string, body: unknown): Promise<unknown> {
    return matrixRequest(method, this.homeserverUrl + path, {
      body,
      accessToken: this.registration.as_token,
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
