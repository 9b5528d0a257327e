// The parts of a running bridge that need the open store, built in one place so that bridge.ts only starts and
// stops them. Each part gets exactly what it uses.

import type { CommandRegistry } from "../commands/registry.ts";
import type { BridgeConfig } from "../config/schema.ts";
import type { BridgeCrypto } from "../crypto/bridge-crypto.ts";
import type { MxcUri, RemoteUserId, RoomId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { IntentFactory } from "../matrix/intents.ts";
import type { MembershipCache } from "../matrix/membership-cache.ts";
import type { NetworkPlugin } from "../network.ts";
import type { KeyedQueue } from "../pipeline/keyed-queue.ts";
import { RoomQueues } from "../pipeline/room-queues.ts";
import type { BridgeStore } from "../store/store.ts";
import { DirectChats } from "./direct-chats.ts";
import { DisplayNames } from "./display-names.ts";
import { EncryptedRooms } from "./encrypted-rooms.ts";
import type { Ghosts } from "./ghosts.ts";
import { MatrixEphemeral } from "./matrix-ephemeral.ts";
import { MatrixEventHandler } from "./matrix-events.ts";
import { MatrixRoomActions } from "./matrix-room-actions.ts";
import { MatrixToRemote } from "./matrix-to-remote.ts";
import type { Naming } from "./naming.ts";
import { NetworkDoor } from "./network-door.ts";
import { OutgoingParts } from "./outgoing-parts.ts";
import { Permissions } from "./permissions.ts";
import { Plumbing } from "./plumbing.ts";
import { PortalDirectory } from "./portal-directory.ts";
import { PortalPolicy } from "./portal-policy.ts";
import { Portals } from "./portals.ts";
import { Puppets } from "./puppets.ts";
import { RemoteToMatrix } from "./remote-to-matrix.ts";
import { UserGate } from "./user-gate.ts";

export interface ServiceInputs {
  config: BridgeConfig;
  bridgeId: string;
  store: BridgeStore;
  network: NetworkPlugin;
  intents: IntentFactory;
  doublePuppetIntents: IntentFactory | null;
  cache: MembershipCache;
  naming: Naming;
  ghosts: Ghosts;
  queue: KeyedQueue;
  commands: CommandRegistry;
  logger: Logger;
  /** Aborted when the bridge stops, to end waits on an unreachable homeserver or network. */
  stopping: AbortSignal;
  /** End-to-end encryption once it runs (started after the services, before any event is handled); null: off. */
  crypto: () => BridgeCrypto | null;
  /** Pauses before retrying a delivery to the network that failed for a passing reason. */
  deliveryRetryDelaysMs: readonly number[];
  /** A link anyone can open to a Matrix file, through the bridge's media proxy (PublicLinks.link). */
  mediaLink: (mxc: MxcUri, filename: string) => string;
  observe: {
    bridged(direction: "matrix_to_remote" | "remote_to_matrix", type: string, receivedAt: number): void;
    failed(direction: "matrix_to_remote" | "remote_to_matrix", type: string): void;
  };
}

export interface Services {
  portals: Portals;
  plumbing: Plumbing;
  puppets: Puppets;
  matrixEvents: MatrixEventHandler;
  remoteEvents: RemoteToMatrix;
  /** Whether a Matrix user may be bridged at all. */
  gate: UserGate;
  /** Portals in the room directory (`bridge.publish_portals`). */
  directory: PortalDirectory;
}

export function createServices(inputs: ServiceInputs): Services {
  const { config, bridgeId, store, network, intents, naming, queue, logger, observe } = inputs;
  const child = (component: string) => logger.child({ component });
  const encryptNewRooms = config.encryption?.default === true || config.encryption?.require === true;
  const directory = new PortalDirectory({
    intents,
    network,
    enabled: config.bridge.publishPortals === true,
    logger: child("directory"),
  });
  const portals = new Portals({
    directory,
    store,
    intents,
    naming,
    queue,
    network,
    ghosts: inputs.ghosts,
    bridgeId,
    policy: new PortalPolicy(config.portals),
    logger: child("portals"),
    encrypted: encryptNewRooms,
  });
  const puppets = new Puppets({
    store,
    network,
    doublePuppetIntents: inputs.doublePuppetIntents,
    domain: config.homeserver.domain,
  });
  const displayNames = new DisplayNames(intents.bot);
  const permissions = new Permissions(config.bridge.permissions);
  const gate = new UserGate({
    permissions,
    store,
    networkName: network.info.displayName,
    logger: child("permissions"),
  });
  const plumbing = new Plumbing({
    store,
    intents,
    naming,
    network,
    bridgeId,
    queue,
    logger: child("plumbing"),
    isBridgeAdmin: (userId) => permissions.levelOf(userId) === "admin",
  });
  const queues = new RoomQueues(queue);
  const tell = async (roomId: RoomId, text: string) => {
    await intents.bot.sendNotice(roomId, text);
  };
  const door = new NetworkDoor({
    network,
    stopping: inputs.stopping,
    retryDelaysMs: inputs.deliveryRetryDelaysMs,
    logger: child("network-door"),
    tell,
    onBridged: (type, receivedAt) => observe.bridged("matrix_to_remote", type, receivedAt),
    onFailed: (type) => observe.failed("matrix_to_remote", type),
  });
  const parts = new OutgoingParts({
    store,
    bot: intents.bot,
    client: intents.client,
    naming,
    puppets,
    relayTemplate: config.bridge.relayTemplate,
    displayNameOf: (roomId, userId) => displayNames.of(roomId, userId),
    avatarOf: (roomId, userId) => displayNames.avatarOf(roomId, userId),
    mediaLink: inputs.mediaLink,
  });
  const toRemote = new MatrixToRemote({
    store,
    intents,
    door,
    parts,
    networkName: network.info.displayName,
    tell,
    logger: child("matrix-to-remote"),
  });
  // A remote user mentioned in a message: a Matrix user's automatic identity is that user, anyone else a ghost.
  const pillOf = (id: RemoteUserId) => network.matrixUserOf?.(id) ?? naming.ghostUserId(id);
  const directChats = new DirectChats({
    store,
    intents,
    ghosts: inputs.ghosts,
    naming,
    queues,
    pillOf,
    logger: child("direct-chats"),
    onBridged: (type, receivedAt) => observe.bridged("remote_to_matrix", type, receivedAt),
    encrypted: encryptNewRooms,
  });
  const encrypted = new EncryptedRooms({
    store,
    intents,
    naming,
    queue,
    directChats,
    networkName: network.info.displayName,
    logger: child("encrypted-rooms"),
  });
  const matrixEvents = new MatrixEventHandler({
    store,
    intents,
    cache: inputs.cache,
    naming,
    commands: inputs.commands,
    networkName: network.info.displayName,
    permissions,
    gate,
    encrypted,
    crypto: inputs.crypto,
    encryptionRequired: config.encryption?.require === true,
    plumbing,
    puppets,
    displayNames,
    openPortal: (id, userId) => portals.openFor(id, userId),
    toRemote,
    roomActions: new MatrixRoomActions({ door, parts, puppets }),
    directChats,
    ephemeral: new MatrixEphemeral({ store, door, parts, puppets, naming, allows: (u) => gate.allows(u) }),
    bridgeId,
    queue,
    gapCheckDelayMs: config.bridge.gapCheckSeconds * 1000,
    logger: child("matrix-events"),
  });
  const remoteEvents = new RemoteToMatrix({
    stopping: inputs.stopping,
    directChats,
    store,
    intents,
    ghosts: inputs.ghosts,
    portals,
    puppets,
    queues,
    pillOf,
    bridgeId,
    logger: child("remote-to-matrix"),
    onBridged: (type, receivedAt) => observe.bridged("remote_to_matrix", type, receivedAt),
  });
  return { portals, plumbing, puppets, matrixEvents, remoteEvents, gate, directory };
}
