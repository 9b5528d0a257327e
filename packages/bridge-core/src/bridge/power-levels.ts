// A user's power in a room, as the room's authorization rules define it. The power levels event alone is not enough:
// from room version 12 on the creators outrank every level and are never listed in it, and a room without a power
// levels event gives its creator 100. Both cases need the create event, sender included.

import type { RoomId } from "../ids.ts";
import { matrixPath } from "../matrix/client.ts";
import { isMatrixError } from "../matrix/errors.ts";
import type { PowerLevelsContent } from "../matrix/event-content.ts";
import type { IntentFactory } from "../matrix/intents.ts";

/** The parts of `m.room.create` the rules use; `sender` is the creator. */
export interface CreateEvent {
  sender?: string;
  content: Record<string, unknown>;
}

/** What a room's power rules depend on; either event may be missing. */
export interface PowerState {
  create: CreateEvent | null;
  powerLevels: PowerLevelsContent | null;
}

/** Room creators from version 12 on: above any number a power levels event can hold. */
export const CREATOR_POWER = Number.POSITIVE_INFINITY;
/** The creator's level in a room that has no power levels event (every version). */
const CREATOR_DEFAULT_LEVEL = 100;
const FIRST_VERSION_WITH_PRIVILEGED_CREATORS = 12;

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Only the numbered versions are known to follow the spec's lineage; a non-numeric (experimental) version is assumed
 * to predate 12 rather than to hand unlimited power to anyone.
 */
export function hasPrivilegedCreators(roomVersion: unknown): boolean {
  const version = typeof roomVersion === "string" ? roomVersion : "1";
  return /^\d+$/.test(version) && Number(version) >= FIRST_VERSION_WITH_PRIVILEGED_CREATORS;
}

/** Before room version 10, servers accepted levels written as strings ("50"); such rooms still exist. */
function levelValue(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
  return undefined;
}

function creatorsOf(create: CreateEvent | null): Set<string> {
  const creators = new Set<string>();
  if (create === null) return creators;
  if (create.sender !== undefined) creators.add(create.sender);
  // Versions 1 to 10 also name the creator in the content; 11 dropped the field in favour of the sender.
  if (create.sender === undefined && typeof create.content["creator"] === "string") {
    creators.add(create.content["creator"]);
  }
  return creators;
}

/** The power of `userId`, from the room's create and power levels events (pure, for callers that have them). */
export function effectivePowerLevel(
  userId: string,
  create: CreateEvent | null,
  powerLevels: PowerLevelsContent | null,
): number {
  const creators = creatorsOf(create);
  if (create !== null && hasPrivilegedCreators(create.content["room_version"])) {
    const additional = create.content["additional_creators"];
    if (creators.has(userId)) return CREATOR_POWER;
    if (Array.isArray(additional) && additional.includes(userId)) return CREATOR_POWER;
  }
  if (powerLevels === null) return creators.has(userId) ? CREATOR_DEFAULT_LEVEL : 0;
  const users = obj(powerLevels.users);
  const own = Object.hasOwn(users, userId) ? levelValue(users[userId]) : undefined;
  return own ?? levelValue(powerLevels.users_default) ?? 0;
}

/** The level a state event of `type` needs; 0 for everything in a room without a power levels event. */
export function stateEventLevel(type: string, powerLevels: PowerLevelsContent | null): number {
  if (powerLevels === null) return 0;
  const events = obj(powerLevels.events);
  const own = Object.hasOwn(events, type) ? levelValue(events[type]) : undefined;
  return own ?? levelValue(powerLevels.state_default) ?? 50;
}

/**
 * Reads the create and power levels events as the bridge bot, which must be able to see the room's state. The create
 * event is fetched whole (`format=event`, Matrix 1.16) because its content does not name the creator from version 11
 * on; a server that ignores the parameter answers with the content only, and then no sender is known.
 */
export async function readPowerState(
  roomId: RoomId,
  intents: Pick<IntentFactory, "bot" | "client">,
): Promise<PowerState> {
  const readCreate = async (): Promise<CreateEvent | null> => {
    const path = matrixPath`/_matrix/client/v3/rooms/${roomId}/state/m.room.create/`;
    let raw: Record<string, unknown>;
    try {
      raw = await intents.client.request<Record<string, unknown>>("GET", path, {
        asUser: intents.bot.userId,
        query: { format: "event" },
      });
    } catch (err) {
      if (isMatrixError(err, "M_NOT_FOUND")) return null;
      throw err;
    }
    // A space's create content has a `type` of its own, so only the pair tells a whole event from bare content.
    const whole = raw["type"] === "m.room.create" && typeof raw["content"] === "object";
    if (!whole) return { content: obj(raw) };
    const sender = raw["sender"];
    return { content: obj(raw["content"]), ...(typeof sender === "string" ? { sender } : {}) };
  };
  const [create, powerLevels] = await Promise.all([readCreate(), intents.bot.getPowerLevels(roomId)]);
  return { create, powerLevels };
}

/** The power of `userId` in the room, read as the bridge bot. */
export async function powerLevelOf(
  userId: string,
  roomId: RoomId,
  intents: Pick<IntentFactory, "bot" | "client">,
): Promise<number> {
  const { create, powerLevels } = await readPowerState(roomId, intents);
  return effectivePowerLevel(userId, create, powerLevels);
}

/**
 * The users whose level differs between two `m.room.power_levels` contents, with their new level; a user missing
 * from a content has its `users_default`. Without the previous content, every user listed now counts as changed.
 */
export function changedUserLevels(content: unknown, prevContent: unknown): Map<string, number> {
  const levelsIn = (c: unknown) => {
    const users = obj(obj(c)["users"]);
    const fallback = obj(c)["users_default"];
    return {
      of: (user: string) => {
        const level = users[user];
        return typeof level === "number" ? level : typeof fallback === "number" ? fallback : 0;
      },
      users: Object.keys(users),
    };
  };
  const now = levelsIn(content);
  const before = levelsIn(prevContent);
  const changed = new Map<string, number>();
  for (const user of new Set([...now.users, ...before.users])) {
    if (prevContent === undefined || now.of(user) !== before.of(user)) changed.set(user, now.of(user));
  }
  return changed;
}
