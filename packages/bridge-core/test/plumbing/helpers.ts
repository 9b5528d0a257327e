// Shared setup for the plumbing tests: a fake homeserver that keeps rooms' state and membership, a real store in a
// temporary directory, and a network plugin with a few remote rooms.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Naming } from "../../src/bridge/naming.ts";
import { Plumbing } from "../../src/bridge/plumbing.ts";
import { parseUserId, type RemoteRoomId, type RoomId, remoteRoomId, type UserId } from "../../src/ids.ts";
import type { PowerLevelsContent } from "../../src/matrix/event-content.ts";
import { IntentFactory } from "../../src/matrix/intents.ts";
import { MembershipCache } from "../../src/matrix/membership-cache.ts";
import type { NetworkPlugin, RemoteRoomInfo } from "../../src/network.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { LevelStore } from "../../src/store/level-store.ts";
import { FakeHomeserver, type RecordedRequest, type ScriptedResponse } from "../matrix/fake-homeserver.ts";
import { BOT, type CapturedLogs, captureLogs, clientFor } from "../matrix/helpers.ts";

export { BOT };
export const BRIDGE_ID = "testbridge";
export const MOD = parseUserId("@mod:example.org");
export const MEMBER = parseUserId("@member:example.org");
export const OWNER = parseUserId("@owner:example.org");
export const LOBBY = remoteRoomId("lobby");
export const GARDEN = remoteRoomId("garden");

export const naming = new Naming({
  domain: "example.org",
  botLocalpart: "bridgebot",
  ghostTemplate: "testnet_{id}",
  aliasTemplate: "testnet_{id}",
});

export interface FakeRoomOptions {
  /** Default "10". */
  version?: string;
  /** The create event's sender. Default OWNER. */
  creator?: UserId;
  additionalCreators?: string[];
  /** Default: MOD at 50, the bot at 100, everyone else 0. `null`: the room has no power levels event. */
  powerLevels?: PowerLevelsContent | null;
  /** Joined users (the bot is added when it joins). */
  members?: UserId[];
  /** Whether the bot may join; default true. */
  botMayJoin?: boolean;
  /** Whether the server refuses every state event the bot sends, whatever the power levels say. */
  refuseState?: boolean;
}

interface FakeRoom {
  options: FakeRoomOptions;
  state: Map<string, Record<string, unknown>>;
  members: Set<string>;
}

export const defaultPowerLevels = (): PowerLevelsContent => ({
  users: { [MOD]: 50, [BOT]: 100, [OWNER]: 100 },
  users_default: 0,
  state_default: 50,
  events: {},
});

const STATE = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/state\/([^/]+)\/(.*)$/;
const JOIN = /^\/_matrix\/client\/v3\/join\/([^/]+)$/;
const LEAVE = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/leave$/;
const MEMBERS = /^\/_matrix\/client\/v3\/rooms\/([^/]+)\/joined_members$/;

const notFound: ScriptedResponse = { status: 404, json: { errcode: "M_NOT_FOUND", error: "no such thing" } };
const forbidden = (error: string): ScriptedResponse => ({
  status: 403,
  json: { errcode: "M_FORBIDDEN", error },
});

/** Rooms the fake homeserver keeps: state can be read and written, and members join and leave. */
export class FakeRooms {
  private readonly rooms = new Map<string, FakeRoom>();

  constructor(hs: FakeHomeserver) {
    hs.always("GET", STATE, (req) => this.getState(req));
    hs.always("PUT", STATE, (req) => this.putState(req));
    hs.always("POST", JOIN, (req) => this.join(req));
    hs.always("POST", LEAVE, (req) => this.leave(req));
    hs.always("GET", MEMBERS, (req) => this.joinedMembers(req));
  }

  add(roomId: RoomId, options: FakeRoomOptions = {}): void {
    const version = options.version ?? "10";
    const creator = options.creator ?? OWNER;
    const state = new Map<string, Record<string, unknown>>();
    const content: Record<string, unknown> = { room_version: version };
    if (!/^\d+$/.test(version) || Number(version) <= 10) content["creator"] = creator;
    if (options.additionalCreators) content["additional_creators"] = options.additionalCreators;
    state.set("m.room.create\0", { type: "m.room.create", state_key: "", sender: creator, content });
    const powerLevels = options.powerLevels === undefined ? defaultPowerLevels() : options.powerLevels;
    if (powerLevels !== null) {
      state.set("m.room.power_levels\0", {
        type: "m.room.power_levels",
        state_key: "",
        sender: creator,
        content: powerLevels,
      });
    }
    this.rooms.set(roomId, { options, state, members: new Set(options.members ?? [creator]) });
  }

  /** The content of a state event, or undefined. */
  state(roomId: RoomId, type: string, stateKey: string): Record<string, unknown> | undefined {
    const event = this.rooms.get(roomId)?.state.get(`${type}\0${stateKey}`);
    return event?.["content"] as Record<string, unknown> | undefined;
  }

  isMember(roomId: RoomId, userId: string): boolean {
    return this.rooms.get(roomId)?.members.has(userId) ?? false;
  }

  addMember(roomId: RoomId, userId: string): void {
    this.rooms.get(roomId)?.members.add(userId);
  }

  private room(encoded: string | undefined): FakeRoom | undefined {
    return this.rooms.get(decodeURIComponent(encoded ?? ""));
  }

  private getState(req: RecordedRequest): ScriptedResponse {
    const [, room, type, key] = STATE.exec(req.path) ?? [];
    const fake = this.room(room);
    if (fake === undefined) return forbidden("not in room");
    const event = fake.state.get(`${decodeURIComponent(type ?? "")}\0${decodeURIComponent(key ?? "")}`);
    if (event === undefined) return notFound;
    return { json: req.query.get("format") === "event" ? event : event["content"] };
  }

  private putState(req: RecordedRequest): ScriptedResponse {
    const [, room, type, key] = STATE.exec(req.path) ?? [];
    const fake = this.room(room);
    if (fake === undefined) return forbidden("not in room");
    if (fake.options.refuseState) return forbidden("You don't have permission to post that to the room.");
    const eventType = decodeURIComponent(type ?? "");
    const stateKey = decodeURIComponent(key ?? "");
    fake.state.set(`${eventType}\0${stateKey}`, {
      type: eventType,
      state_key: stateKey,
      sender: req.query.get("user_id"),
      content: req.json,
    });
    return { json: { event_id: `$state-${fake.state.size}` } };
  }

  private join(req: RecordedRequest): ScriptedResponse {
    const [, room] = JOIN.exec(req.path) ?? [];
    const fake = this.room(room);
    if (fake === undefined) return notFound;
    if (fake.options.botMayJoin === false) return forbidden("You are not invited to this room.");
    fake.members.add(req.query.get("user_id") ?? "");
    return { json: { room_id: decodeURIComponent(room ?? "") } };
  }

  private leave(req: RecordedRequest): ScriptedResponse {
    const [, room] = LEAVE.exec(req.path) ?? [];
    this.room(room)?.members.delete(req.query.get("user_id") ?? "");
    return { json: {} };
  }

  private joinedMembers(req: RecordedRequest): ScriptedResponse {
    const [, room] = MEMBERS.exec(req.path) ?? [];
    const fake = this.room(room);
    if (fake === undefined) return forbidden("not in room");
    return { json: { joined: Object.fromEntries([...fake.members].map((userId) => [userId, {}])) } };
  }
}

export interface FakeNetwork extends NetworkPlugin {
  remoteRooms: Map<string, RemoteRoomInfo>;
  /** What validateLink answers; null accepts. */
  refusal: string | null;
  validated: [RemoteRoomId, UserId][];
}

export function fakeNetwork(): FakeNetwork {
  const network: FakeNetwork = {
    info: {
      id: "testnet",
      displayName: "TestNet",
      ghostTemplate: "testnet_{id}",
      aliasTemplate: "testnet_{id}",
    },
    remoteRooms: new Map([
      [LOBBY, { id: LOBBY, name: "The Lobby" }],
      [GARDEN, { id: GARDEN }],
    ]),
    refusal: null,
    validated: [],
    start: async () => {},
    stop: async () => {},
    resolveRoom: async (id) => network.remoteRooms.get(id) ?? null,
    resolveUser: async () => null,
    sendMessage: async () => ({}),
    validateLink: async (id, requester) => {
      network.validated.push([id, requester]);
      return network.refusal;
    },
  };
  return network;
}

export interface PlumbingSetup {
  hs: FakeHomeserver;
  rooms: FakeRooms;
  store: LevelStore;
  cache: MembershipCache;
  intents: IntentFactory;
  network: FakeNetwork;
  queue: KeyedQueue;
  logs: CapturedLogs;
  plumbing: Plumbing;
  close(): Promise<void>;
}

export async function setUp(
  options: { isBridgeAdmin?: (userId: UserId) => boolean } = {},
): Promise<PlumbingSetup> {
  const hs = await FakeHomeserver.start();
  const rooms = new FakeRooms(hs);
  const dir = mkdtempSync(join(tmpdir(), "bridge-plumbing-"));
  const store = await LevelStore.open({ path: join(dir, "db"), sync: false });
  const cache = new MembershipCache();
  const logs = captureLogs();
  const intents = new IntentFactory({
    client: clientFor(hs, { logger: logs.logger }),
    botUserId: BOT,
    cache,
  });
  const network = fakeNetwork();
  const queue = new KeyedQueue();
  const plumbing = new Plumbing({
    store,
    intents,
    naming,
    network,
    bridgeId: BRIDGE_ID,
    queue,
    logger: logs.logger,
    ...(options.isBridgeAdmin ? { isBridgeAdmin: options.isBridgeAdmin } : {}),
  });
  return {
    hs,
    rooms,
    store,
    cache,
    intents,
    network,
    queue,
    logs,
    plumbing,
    close: async () => {
      await hs.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The m.bridge state key the bridge uses for a remote room. */
export const bridgeStateKey = (id: RemoteRoomId): string => `${BRIDGE_ID}/testnet/${id}`;

/** Log lines at `level` whose message contains `text`. */
export function logLines(logs: CapturedLogs, level: string, text: string): Record<string, unknown>[] {
  return logs.lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line["level"] === level && String(line["msg"]).includes(text));
}
