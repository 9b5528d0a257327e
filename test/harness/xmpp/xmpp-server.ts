// What every XMPP server of the harness offers, whichever software runs it: client connections, a MUC service and
// the bridge's XEP-0114 component, all on 127.0.0.1. Ready once the component port answers a stream header, which
// both servers do only after loading their hosts.

import { connect } from "node:net";

export interface XmppServer {
  readonly software: "prosody" | "ejabberd";
  readonly host: string;
  /** Client-to-server port (plain text; no TLS in tests). */
  readonly c2sPort: number;
  readonly componentPort: number;
  /** The XEP-0363 upload service's domain and HTTP port, when the server was made with one. */
  readonly upload?: { domain: string; httpPort: number };
  /** The users' domain. */
  readonly domain: string;
  /** The MUC service's domain. */
  readonly mucDomain: string;
  /** The bridge's component domain, and the secret it authenticates with. */
  readonly componentDomain: string;
  readonly componentSecret: string;
  /** The server's folder inside the run folder: configuration, data and logs. */
  readonly dataDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops, and removes the data folder unless it should be kept for a look after a failure. */
  destroy(keepData: boolean): Promise<void>;
  /** Creates an account `localpart@domain`. */
  register(localpart: string, password: string): Promise<void>;
}

export const XMPP_DOMAIN = "localhost";
export const MUC_DOMAIN = "muc.localhost";
export const COMPONENT_DOMAIN = "matrix.localhost";
export const UPLOAD_DOMAIN = "upload.localhost";

const PROBE_TIMEOUT_MS = 2_000;

/** True once the component port answers a stream header with its own; otherwise what happened instead. */
export function componentAnswers(host: string, port: number, domain: string): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = "";
    const done = (outcome: true | string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done(`no stream header within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    socket.on("error", (err) => done(err.message));
    socket.on("connect", () =>
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' ` +
          `xmlns:stream='http://etherx.jabber.org/streams' to='${domain}'>`,
      ),
    );
    socket.on("data", (data) => {
      received += data.toString("utf8");
      if (received.includes("<stream:stream")) done(true);
    });
  });
}
