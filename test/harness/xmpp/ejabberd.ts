// A real ejabberd (Debian's package) for end-to-end tests: one per suite, on free ports on 127.0.0.1, with its
// configuration, Mnesia database and logs in the suite's run folder. The Erlang VM runs directly (not through
// ejabberdctl, which would switch to the package's user and start a distribution daemon on a public port): without
// a node name it opens no distribution port at all. Accounts are made through ejabberd's HTTP API on loopback.

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../free-port.ts";
import { ManagedProcess } from "../managed-process.ts";
import { EJABBERDCTL, ensureEjabberdInstalled } from "./ejabberd-install.ts";
import {
  COMPONENT_DOMAIN,
  componentAnswers,
  MUC_DOMAIN,
  UPLOAD_DOMAIN,
  XMPP_DOMAIN,
  type XmppServer,
} from "./xmpp-server.ts";

const ERL = "/usr/bin/erl";

/**
 * Where the package keeps ejabberd's Erlang applications (an architecture's library folder), read from its own
 * control script, which knows.
 */
function ejabberdLibs(): string {
  const script = readFileSync(EJABBERDCTL, "utf8");
  const libs = /^ERL_LIBS='([^']+)'/m.exec(script)?.[1];
  if (libs === undefined)
    throw new Error(`${EJABBERDCTL} does not say where ejabberd's Erlang applications are`);
  return libs;
}

export class EjabberdServer implements XmppServer {
  readonly software = "ejabberd";
  readonly host = "127.0.0.1";
  readonly domain = XMPP_DOMAIN;
  readonly mucDomain = MUC_DOMAIN;
  readonly componentDomain = COMPONENT_DOMAIN;
  readonly componentSecret = randomBytes(16).toString("hex");
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly dataDir: string;
  readonly upload?: { domain: string; httpPort: number };
  private readonly apiPort: number;
  private readonly process: ManagedProcess;

  private constructor(
    dataDir: string,
    ports: { c2s: number; component: number; api: number; upload: number | undefined },
  ) {
    this.dataDir = dataDir;
    if (ports.upload !== undefined) this.upload = { domain: UPLOAD_DOMAIN, httpPort: ports.upload };
    this.c2sPort = ports.c2s;
    this.componentPort = ports.component;
    this.apiPort = ports.api;
    const configPath = join(dataDir, "ejabberd.yml");
    const logPath = join(dataDir, "ejabberd.log");
    writeFileSync(configPath, this.config());
    this.process = new ManagedProcess({
      label: "ejabberd",
      command: ERL,
      args: [
        "-noinput",
        "-noshell",
        "-mnesia",
        "dir",
        JSON.stringify(join(dataDir, "spool")),
        "-s",
        "ejabberd",
      ],
      cwd: dataDir,
      env: {
        ...process.env,
        EJABBERD_CONFIG_PATH: configPath,
        EJABBERD_LOG_PATH: logPath,
        ERL_CRASH_DUMP: join(dataDir, "erl_crash.dump"),
        ERL_LIBS: ejabberdLibs(),
      },
      outputPath: join(dataDir, "ejabberd.out"),
      logPaths: [join(dataDir, "ejabberd.out"), logPath],
      isReady: () => componentAnswers(this.host, this.componentPort, this.componentDomain),
      readiness: "answer on its component port",
      readyTimeoutMs: 60_000,
    });
  }

  /**
   * Installs ejabberd if needed and writes its configuration; `start()` runs it. With `httpUpload`, it also offers
   * XEP-0363 uploads (mod_http_upload) over HTTP on 127.0.0.1.
   */
  static async create({
    runDir,
    httpUpload,
  }: {
    runDir: string;
    httpUpload?: boolean;
  }): Promise<EjabberdServer> {
    await ensureEjabberdInstalled();
    const dataDir = join(runDir, "ejabberd");
    mkdirSync(join(dataDir, "spool"), { recursive: true });
    return new EjabberdServer(dataDir, {
      c2s: await freePort(),
      component: await freePort(),
      api: await freePort(),
      upload: httpUpload === true ? await freePort() : undefined,
    });
  }

  private config(): string {
    return `hosts:
  - ${this.domain}
loglevel: info
log_rotate_count: 0
certfiles: []
listen:
  -
    port: ${this.c2sPort}
    ip: "${this.host}"
    module: ejabberd_c2s
  -
    port: ${this.componentPort}
    ip: "${this.host}"
    module: ejabberd_service
    hosts:
      ${this.componentDomain}:
        password: "${this.componentSecret}"
  -
    port: ${this.apiPort}
    ip: "${this.host}"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
${this.uploadListener()}auth_method: internal
auth_password_format: plain
s2s_access: none
api_permissions:
  "loopback admin":
    who:
      ip: 127.0.0.1/8
    what: "*"
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
modules:
  mod_admin_extra: {}
  mod_disco: {}
  mod_roster: {}
  mod_ping: {}
  mod_vcard: {}
  mod_caps: {}
  mod_pubsub:
    plugins: ["flat", "pep"]
  mod_mam:
    default: always
  mod_muc:
    host: "${this.mucDomain}"
    access: all
    access_create: all
    access_persistent: all
    history_size: 50
    default_room_options:
      persistent: true
      public: true
      mam: true
${this.uploadModule()}`;
  }

  private uploadListener(): string {
    if (this.upload === undefined) return "";
    return `  -
    port: ${this.upload.httpPort}
    ip: "${this.host}"
    module: ejabberd_http
    request_handlers:
      /upload: mod_http_upload
`;
  }

  /** Open to everyone: the bridge asks from its component's domain, whose JIDs are no local users. */
  private uploadModule(): string {
    if (this.upload === undefined) return "";
    const url = `http://${this.host}:${this.upload.httpPort}/upload`;
    return `  mod_http_upload:
    host: "${this.upload.domain}"
    put_url: "${url}"
    get_url: "${url}"
    docroot: "${join(this.dataDir, "upload")}"
    access: all
`;
  }

  start(): Promise<void> {
    return this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  async destroy(keepData: boolean): Promise<void> {
    await this.stop();
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async register(localpart: string, password: string): Promise<void> {
    const response = await fetch(`http://${this.host}:${this.apiPort}/api/register`, {
      method: "POST",
      body: JSON.stringify({ user: localpart, host: this.domain, password }),
    });
    if (!response.ok) throw new Error(`ejabberd could not register ${localpart}: ${await response.text()}`);
  }
}
