// Logging a connection in to its services account: SASL PLAIN during registration where the server offers it
// (irc-framework does it when the connect options carry an account), else NickServ IDENTIFY once registered. The
// password only ever goes to the server; nothing here logs or emits it.

import type { Client } from "irc-framework";

export interface Credentials {
  account: string;
  password: string;
}

/** SASL answers that mean the password itself was refused; NickServ would refuse it too. */
const REFUSED = new Set(["fail", "nick_locked"]);

export class IrcLogin {
  private readonly client: Client;
  private readonly send: (command: string, ...params: string[]) => void;
  private credentials: Credentials | undefined;
  private saslRefused = false;
  /** The account the server says the connection is logged in to (RPL_LOGGEDIN), if any. */
  account: string | undefined;

  constructor(
    client: Client,
    credentials: Credentials | undefined,
    send: (command: string, ...params: string[]) => void,
  ) {
    this.client = client;
    this.credentials = credentials;
    this.send = send;
    client.on("loggedin", (e: { account?: string }) => {
      this.account = e.account;
    });
    client.on("loggedout", () => {
      this.account = undefined;
    });
    client.on("socket close", () => {
      this.account = undefined;
      this.saslRefused = false;
    });
    client.on("sasl failed", (e: { reason?: string }) => {
      if (e.reason !== undefined && REFUSED.has(e.reason)) this.saslRefused = true;
    });
  }

  /** Called on every registration: SASL has had its turn by then, so NickServ is asked only if it did not log in. */
  afterRegistration(): void {
    if (this.credentials === undefined || this.account !== undefined || this.saslRefused) return;
    this.identify(this.credentials);
  }

  setCredentials(credentials: Credentials | undefined, registered: boolean): void {
    this.credentials = credentials;
    // irc-framework reads the account from the options at each registration, reconnects included.
    const options = this.client.options;
    if (options) {
      if (credentials) options.account = { ...credentials };
      else delete options.account;
    }
    if (credentials && registered) this.identify(credentials);
  }

  private identify({ account, password }: Credentials): void {
    this.send("PRIVMSG", "NickServ", `IDENTIFY ${account} ${password}`);
  }
}
