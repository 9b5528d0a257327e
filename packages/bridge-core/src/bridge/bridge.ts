// The bridge: wires the application service API, the store, the pipeline, the intents and the network plugin
// together, and owns start-up and shutdown.

import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type express from "express";
import { closeServer } from "../appservice/close-server.ts";
import { createAppserviceApp, listen } from "../appservice/server.ts";
import { registerAccountCommands } from "../commands/account-commands.ts";
import { registerBuiltinCommands } from "../commands/builtin.ts";
import { CommandRegistry } from "../commands/registry.ts";
import { registerRoomCommands } from "../commands/room-commands.ts";
import type { BridgeConfig } from "../config/schema.ts";
import type { BridgeCrypto } from "../crypto/bridge-crypto.ts";
import { startEncryption } from "../crypto/encryption-start.ts";
import type { MxcUri } from "../ids.ts";
import type { Logger } from "../log.ts";
import { MatrixClient } from "../matrix/client.ts";
import { IntentFactory } from "../matrix/intents.ts";
import { MembershipCache } from "../matrix/membership-cache.ts";
import { PublicLinks } from "../media/public-links.ts";
import type { NetworkFactory, NetworkPlugin } from "../network.ts";
import type { HealthState } from "../observability/health.ts";
import { BridgeMetrics } from "../observability/metrics.ts";
import { DEFAULT_MAX_BACKLOG } from "../pipeline/backpressure.ts";
import { KeyedQueue } from "../pipeline/keyed-queue.ts";
import type { Registration } from "../registration/registration.ts";
import { openStore } from "../store/open-store.ts";
import type { BridgeStore, InboxEntry } from "../store/store.ts";
import { learnBotRooms } from "./bot-rooms.ts";
import { makeDoublePuppetIntents } from "./double-puppet-intents.ts";
import { Ghosts } from "./ghosts.ts";
import { pingHomeserver } from "./homeserver-ping.ts";
import { InboxDispatch } from "./inbox-dispatch.ts";
import { resumeOrder } from "./inbox-resume.ts";
import { Naming } from "./naming.ts";
import { makeNetworkContext, type StartedParts } from "./network-context.ts";
import { HOMESERVER_PROBE_MS, Operations } from "./operations.ts";
import { PortalPolicy } from "./portal-policy.ts";
import { RemoteJournal } from "./remote-journal.ts";
import { createServices, type Services } from "./services.ts";
import { mountSideRouters } from "./side-routers.ts";
import { ThirdParty } from "./third-party.ts";
import { takeTransaction } from "./transaction-intake.ts";

export interface BridgeOptions {
  config: BridgeConfig;
  registration: Registration;
  /** Makes the plugin: the bridge makes its own, with its context, when it is made. */
  network: NetworkFactory;
  logger: Logger;
  /** Overrides `appservice.port` (the `-p` flag). */
  port?: number;
  /** Pauses before retrying a delivery the network failed for a passing reason (tests shorten them). */
  deliveryRetryDelaysMs?: readonly number[];
  /** How often an idle bridge checks that the homeserver answers (HOMESERVER_PROBE_MS). */
  homeserverProbeMs?: number;
}

/** About two minutes of retrying, long enough for a network connection to come back, before the sender is told. */
const DELIVERY_RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000];

/** The pipeline key under which portals made before are published at start. */
const DIRECTORY_KEY = "portal-directory";
/** How long queued work gets to finish at shutdown before what is left waits for the next start. */
const DRAIN_GRACE_MS = 5000;
export class Bridge {
  /** The plugin this bridge made, and alone starts and stops. */
  readonly network: NetworkPlugin;
  readonly naming: Naming;
  readonly intents: IntentFactory;
  readonly commands: CommandRegistry;
  readonly queue = new KeyedQueue();
  readonly app: express.Express;
  readonly metrics: BridgeMetrics | undefined;
  readonly health: HealthState;
  /** Live health, the bridge state, users' connection notices, status and admin commands. */
  readonly operations: Operations;
  private readonly options: BridgeOptions;
  private readonly logger: Logger;
  private readonly cache = new MembershipCache();
  private readonly client: MatrixClient;
  private readonly doublePuppetIntents: IntentFactory | null;
  private readonly ghosts: Ghosts;
  private readonly startedAt = Date.now();
  /** The id of the bridge's own start-up ping, and whether the homeserver delivered it; other pings are answered only. */
  private readonly startupPingId = randomUUID();
  private startupPingReceived = false;
  private storeOrNull: BridgeStore | null = null;
  private servicesOrNull: Services | null = null;
  private journal: RemoteJournal | null = null;
  /** End-to-end encryption, when `encryption.allow`: running from start-up on, before any event is handled. */
  private crypto: BridgeCrypto | null = null;
  /**
   * Events accepted while the bridge is still starting, held until those left from before the stop are dispatched:
   * the homeserver delivers new transactions as soon as the bridge listens, and they must not overtake older ones.
   */
  private acceptedWhileStarting: InboxEntry[] | null = [];
  private readonly stopping = new AbortController();
  /** Hands each accepted entry to its room's queue, or to the encryption devices. */
  private readonly inbox = new InboxDispatch({
    queue: this.queue,
    handle: (entry) => this.services.matrixEvents.handle(entry),
    crypto: () => this.crypto,
    store: () => this.store,
    stopping: this.stopping.signal,
    logger: () => this.logger,
  });
  private server: Server | null = null;
  /** The links remote users open Matrix files with, and the proxy serving them. */
  private readonly publicLinks: PublicLinks;

  constructor(options: BridgeOptions) {
    this.options = options;
    const { config, registration } = options;
    this.logger = options.logger;
    this.logger.addSecret(registration.as_token);
    this.logger.addSecret(registration.hs_token);
    this.client = new MatrixClient({
      homeserverUrl: config.homeserver.url,
      accessToken: registration.as_token,
      logger: this.logger.child({ component: "matrix-client" }),
      signal: this.stopping.signal,
      onReachability: (reachable, detail) => this.operations.states.homeserver(reachable, detail),
    });
    this.publicLinks = new PublicLinks({
      client: this.client,
      publicUrl: config.media.publicUrl,
      lifetimeSeconds: config.media.linkLifetimeSeconds,
      maxBytes: config.media.maxBytes,
      logger: this.logger.child({ component: "media-proxy" }),
    });
    const network = options.network(
      makeNetworkContext({
        config,
        logger: this.logger.child({ component: "network" }),
        client: this.client,
        publicLinks: this.publicLinks,
        started: () => this.startedParts(),
        allows: (userId) => this.services.gate.allows(userId),
        puppetsConnected: (count) => this.metrics?.puppetsConnected(network.info.id, count),
        portalAlias: (id) => this.naming.portalAlias(id),
        connectionState: (report) => this.operations.states.report(report),
      }),
    );
    this.network = network;
    this.naming = new Naming({
      domain: config.homeserver.domain,
      botLocalpart: registration.sender_localpart,
      ghostTemplate: config.network.ghostTemplate ?? network.info.ghostTemplate,
      aliasTemplate: config.network.aliasTemplate ?? network.info.aliasTemplate,
    });
    this.intents = new IntentFactory({
      client: this.client,
      botUserId: this.naming.botUserId,
      cache: this.cache,
    });
    this.doublePuppetIntents = makeDoublePuppetIntents(options.config, this.logger);
    this.ghosts = new Ghosts({ intents: this.intents, naming: this.naming });
    this.commands = new CommandRegistry(config.bridge.commandPrefix);
    registerBuiltinCommands(this.commands, {
      networkName: network.info.displayName,
      startedAt: this.startedAt,
    });
    registerAccountCommands(this.commands, {
      store: () => this.store,
      network,
      identityOf: (userId) => this.services.puppets.identityOf(userId),
    });
    registerRoomCommands(this.commands, () => this.services.plumbing);
    const operationsDeps = {
      network,
      naming: this.naming,
      intents: this.intents,
      logger: this.logger,
      store: () => this.store,
      plumbing: () => this.services.plumbing,
    };
    this.operations = new Operations(operationsDeps, [registration.as_token, registration.hs_token]);
    this.health = this.operations.health;
    this.operations.registerCommands(this.commands, operationsDeps);
    // The plugin's own commands come under its name in help.
    for (const command of network.commands ?? [])
      this.commands.register({ section: network.info.displayName, ...command });
    this.metrics = config.metrics.enabled ? new BridgeMetrics({ logger: this.logger }) : undefined;
    this.metrics?.setQueueDepthSource(() => this.queue.depth);
    this.metrics?.setPortalCountSource(() => this.storeOrNull?.countRoomLinks() ?? 0);
    this.app = this.makeApp();
    mountSideRouters(this.app, {
      config,
      network,
      logger: this.logger,
      metrics: this.metrics,
      health: this.health,
      states: this.operations.states,
      publicLinks: this.publicLinks,
      plumbing: () => this.services.plumbing,
    });
  }

  private makeApp(): express.Express {
    const { config, registration } = this.options;
    const network = this.network;
    const thirdParty = new ThirdParty(network, this.naming, new PortalPolicy(config.portals));
    return createAppserviceApp({
      hsToken: registration.hs_token,
      maxBodyBytes: config.appservice.maxBodyBytes,
      logger: this.logger.child({ component: "appservice" }),
      handlers: {
        transaction: (txnId, parsed) =>
          takeTransaction(
            {
              store: this.store,
              matrixEvents: this.servicesOrNull?.matrixEvents,
              metrics: this.metrics,
              logger: this.logger,
              queue: this.queue,
              maxBacklog: config.appservice.maxBacklog ?? DEFAULT_MAX_BACKLOG,
              stopping: this.stopping.signal,
              deliver: (entries) => {
                if (this.acceptedWhileStarting !== null) this.acceptedWhileStarting.push(...entries);
                else for (const entry of entries) this.inbox.dispatch(entry);
              },
            },
            txnId,
            parsed.items,
          ),
        queryUser: async (userId) => {
          const remoteId = this.naming.remoteUserOf(userId);
          const info = remoteId === null ? null : await network.resolveUser(remoteId);
          if (info === null) return false;
          await this.ghosts.ensure(info);
          return true;
        },
        queryAlias: (alias) => this.services.portals.createForAlias(alias),
        ping: (txnId) => {
          if (txnId === this.startupPingId) this.startupPingReceived = true;
        },
        thirdPartyProtocol: (p) => thirdParty.protocol(p),
        thirdPartyLocations: (p, fields) => thirdParty.locations(p, fields),
        thirdPartyUsers: (p, fields) => thirdParty.users(p, fields),
        thirdPartyLocationsByAlias: (alias) => thirdParty.locationsByAlias(alias),
        thirdPartyUsersById: (userId) => thirdParty.usersById(userId),
      },
    });
  }

  get store(): BridgeStore {
    if (this.storeOrNull === null) throw new Error("the bridge is not started");
    return this.storeOrNull;
  }

  get services(): Services {
    if (this.servicesOrNull === null) throw new Error("the bridge is not started");
    return this.servicesOrNull;
  }

  /** The port the application service API listens on, once started. */
  get port(): number {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === "string")
      throw new Error("not listening");
    return address.port;
  }

  async start(): Promise<void> {
    const { config, registration } = this.options;
    const network = this.network;
    // The database's password never reaches a log line, whatever error quotes the URL.
    const dbPassword =
      config.store.postgres && decodeURIComponent(new URL(config.store.postgres.url).password);
    if (dbPassword) this.logger.addSecret(dbPassword);
    const store = await openStore(config.store, (message, fields) => this.logger.warn(message, fields));
    this.storeOrNull = store;
    if (store.secrets.created)
      this.logger.info("made a new key for stored credentials", { keyFile: store.secrets.keyFile });
    this.servicesOrNull = createServices({
      config,
      bridgeId: registration.id,
      store,
      network,
      intents: this.intents,
      doublePuppetIntents: this.doublePuppetIntents,
      cache: this.cache,
      naming: this.naming,
      ghosts: this.ghosts,
      queue: this.queue,
      commands: this.commands,
      logger: this.logger,
      deliveryRetryDelaysMs: this.options.deliveryRetryDelaysMs ?? DELIVERY_RETRY_DELAYS_MS,
      mediaLink: (mxc, filename) => this.publicLinks.link(mxc, filename),
      stopping: this.stopping.signal,
      crypto: () => this.crypto,
      observe: {
        bridged: (direction, type, receivedAt) =>
          this.metrics?.eventBridged(network.info.id, direction, type, receivedAt),
        failed: (direction, type) => this.metrics?.eventFailed(network.info.id, direction, type),
      },
    });
    this.health.set("store", true);
    this.server = await listen(
      this.app,
      config.appservice.bindAddress,
      this.options.port ?? config.appservice.port,
    );
    this.logger.info("application service API listening", {
      address: config.appservice.bindAddress,
      port: this.port,
    });
    const { bindAddress } = config.appservice;
    await this.publicLinks.open(store, { registrationUrl: registration.url, bindAddress, port: this.port });

    const ping = await pingHomeserver({
      client: this.client,
      registration,
      transactionId: this.startupPingId,
      botUserId: this.naming.botUserId,
      logger: this.logger,
    });
    if (ping.pinged && !this.startupPingReceived)
      this.logger.warn("homeserver ping answered but never reached this bridge");
    this.operations.states.homeserver(true);
    await learnBotRooms(this.intents);
    if (config.appservice.botDisplayname !== undefined) {
      await this.intents.bot.setDisplayName(config.appservice.botDisplayname);
    }
    if (config.encryption?.allow === true) {
      this.crypto = await startEncryption({
        config,
        registration,
        store,
        client: this.client,
        intents: this.intents,
        doublePuppetIntents: this.doublePuppetIntents,
        isBridgeUser: (userId) => this.naming.isBridgeUser(userId),
        networkName: network.info.displayName,
        logger: this.logger.child({ component: "crypto" }),
        stopping: this.stopping.signal,
      });
    }
    this.journal = new RemoteJournal({
      store,
      inner: this.services.remoteEvents,
      logger: this.logger.child({ component: "remote-journal" }),
    });
    // Remote events recorded before a stop or crash but not yet bridged go first, ahead of anything new.
    const resumed = await this.journal.resume();
    if (resumed > 0) this.logger.info("resuming remote events", { count: resumed });
    await network.start();
    // A plugin that does not report its connections counts as connected once started, as before.
    if (Object.keys(this.operations.states.snapshot().bot).length === 0)
      this.operations.states.report({ connection: "bot", state: "CONNECTED" });
    // Events accepted before a stop or crash but not yet handled: handle them now, in their order.
    // Those accepted during the start may or may not be in the store's listing, depending on when it was read.
    const listed = await store.pendingInbox();
    if (listed.length > 0) this.logger.info("resuming accepted events", { count: listed.length });
    const held = this.acceptedWhileStarting ?? [];
    this.acceptedWhileStarting = null;
    for (const entry of resumeOrder(listed, held)) this.inbox.dispatch(entry);
    this.operations.states.started();
    this.operations.startProbe(this.client, store, this.options.homeserverProbeMs ?? HOMESERVER_PROBE_MS);
    // In the pipeline, so that a stop waits for it before the store closes.
    void this.queue.run(DIRECTORY_KEY, () =>
      this.services.directory
        .publishExisting(store)
        .catch((err: unknown) =>
          this.logger.warn("could not publish the portals in the room directory", { err }),
        ),
    );
    this.logger.info("bridge started", { network: network.info.id, bot: this.naming.botUserId });
  }

  /** What the plugin's context reaches from start() on (NetworkContext). */
  private startedParts(): StartedParts {
    if (this.journal === null)
      throw new Error("the bridge is not started: the network context works from start() on");
    return { store: this.store, remote: this.journal.events };
  }

  /** A link anyone can open to a Matrix file, through the bridge's media proxy (as OutgoingMedia.link makes). */
  mediaLink(url: MxcUri, filename?: string): string {
    return this.publicLinks.link(url, filename);
  }

  /** Stops taking transactions, finishes what was accepted, then closes the network and the store. */
  async stop(): Promise<void> {
    await this.operations.stop();
    const server = this.server;
    this.server = null;
    if (server) await closeServer(server);
    // Finish what can be finished; what is still held back after that (an unreachable homeserver or network) is
    // cut short and stays recorded, to be done at the next start.
    await Promise.race([this.queue.idle(), sleep(DRAIN_GRACE_MS, undefined, { ref: false })]);
    this.stopping.abort();
    this.servicesOrNull?.matrixEvents.stop();
    await this.queue.idle();
    await this.crypto?.close();
    this.crypto = null;
    await this.network.stop();
    this.health.set("network", false, "stopped");
    await this.storeOrNull?.close();
    this.storeOrNull = null;
    this.health.set("store", false, "closed");
    this.logger.info("bridge stopped");
  }
}
