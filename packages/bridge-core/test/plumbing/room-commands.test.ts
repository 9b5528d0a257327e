import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { CommandRegistry } from "../../src/commands/registry.ts";
import { registerRoomCommands } from "../../src/commands/room-commands.ts";
import { parseRoomId, type RoomId, type UserId } from "../../src/ids.ts";
import { GARDEN, LOBBY, MEMBER, MOD, type PlumbingSetup, setUp } from "./helpers.ts";

const ROOM = parseRoomId("!plumbed:example.org");
const DM = parseRoomId("!dm:example.org");

let t: PlumbingSetup;
let registry: CommandRegistry;
beforeEach(async () => {
  t = await setUp();
  registry = new CommandRegistry("!");
  registerRoomCommands(registry, t.plumbing);
  t.rooms.add(ROOM);
});
afterEach(() => t.close());

/** Sends `body` as `sender` in `roomId` and returns the bot's replies. */
async function send(
  body: string,
  options: { sender?: UserId; roomId?: RoomId; isManagementRoom?: boolean } = {},
): Promise<string[]> {
  const { sender = MOD, roomId = ROOM, isManagementRoom = false } = options;
  const parsed = registry.parse(body, isManagementRoom);
  assert.ok(parsed, `not a command: ${body}`);
  const replies: string[] = [];
  await registry.run(parsed, {
    roomId,
    sender,
    isManagementRoom,
    hideCommand: async () => undefined,
    openPortal: async (id) => assert.fail(`no command here opens a portal (${id})`),
    reply: async (text) => {
      replies.push(text);
    },
  });
  return replies;
}

describe("link", () => {
  it("links the room it is sent in and says so", async () => {
    const [reply] = await send("!link lobby");
    assert.match(reply ?? "", /^Linked this room to lobby\. Relay mode is off/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.linkedBy, MOD);
  });

  it("answers a refusal with its message alone", async () => {
    assert.deepEqual(await send("!link lobby", { sender: MEMBER }), [
      "You need power level 50 in this room to link it; you have 0.",
    ]);
    assert.deepEqual(await send("!link nowhere"), ["TestNet has no room nowhere."]);
    await send("!link lobby");
    assert.deepEqual(await send("!link garden"), ["This room is already linked to lobby; unlink it first."]);
  });

  it("wants exactly one remote room id", async () => {
    const [missing] = await send("!link");
    assert.match(missing ?? "", /Which room\?.*\nUsage: !link <remote room id>$/s);
    const [extra] = await send("!link lobby garden");
    assert.match(extra ?? "", /single room id.*\nUsage: !link <remote room id>$/s);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("is not for the DM with the bot", async () => {
    const [reply] = await send("link lobby", { roomId: DM, isManagementRoom: true });
    assert.match(reply ?? "", /in the room you want to link/);
    assert.equal(await t.store.getRoomLinkByRemote(LOBBY), null);
  });

  it("leaves unexpected failures to the bridge, not to the user", async () => {
    t.network.resolveRoom = async () => {
      throw new Error("network down");
    };
    await assert.rejects(send("!link lobby"), /network down/);
  });
});

describe("unlink", () => {
  it("unlinks and says from what", async () => {
    await send("!link lobby");
    assert.deepEqual(await send("!unlink"), ["Unlinked this room from lobby."]);
    assert.equal(await t.store.getRoomLinkByMatrix(ROOM), null);
  });

  it("takes no arguments, and answers refusals", async () => {
    const [usage] = await send("!unlink lobby");
    assert.match(usage ?? "", /no arguments.*\nUsage: !unlink$/s);
    assert.deepEqual(await send("!unlink"), ["This room is not linked to any TestNet room."]);
    await t.store.putRoomLink({ roomId: ROOM, remoteRoomId: GARDEN, kind: "portal", createdAt: 1 });
    const [portal] = await send("!unlink");
    assert.match(portal ?? "", /cannot be unlinked/);
  });
});

describe("relay", () => {
  it("shows the state without an argument", async () => {
    assert.deepEqual(await send("!relay"), ["This room is not bridged to TestNet."]);
    await send("!link lobby");
    const [off] = await send("!relay", { sender: MEMBER });
    assert.match(
      off ?? "",
      /^Relay mode is off in this room: only Matrix users with their own TestNet identity/,
    );
  });

  it("switches relaying on and off", async () => {
    await send("!link lobby");
    const [on] = await send("!relay ON");
    assert.match(on ?? "", /^Relay mode is now on: messages from Matrix users without a TestNet identity/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, true);
    const [shown] = await send("!relay");
    assert.match(shown ?? "", /^Relay mode is on in this room/);
    const [off] = await send("!relay off");
    assert.match(off ?? "", /^Relay mode is now off/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, false);
  });

  it("answers refusals and bad arguments", async () => {
    assert.deepEqual(await send("!relay on"), ["This room is not linked to any TestNet room."]);
    await send("!link lobby");
    assert.deepEqual(await send("!relay on", { sender: MEMBER }), [
      "You need power level 50 in this room to switch relaying; you have 0.",
    ]);
    const [bad] = await send("!relay maybe");
    assert.match(bad ?? "", /Say "on" or "off", not "maybe"\.\nUsage: !relay \[on\|off\]$/);
    const [extra] = await send("!relay on now");
    assert.match(extra ?? "", /Usage: !relay/);
    assert.equal((await t.store.getRoomLinkByMatrix(ROOM))?.relay, false);
  });
});

describe("registration", () => {
  it("accepts a getter, for plumbing made after the commands are registered", async () => {
    const late = new CommandRegistry("!");
    registerRoomCommands(late, () => t.plumbing);
    const parsed = late.parse("!link lobby", false);
    assert.ok(parsed);
    const replies: string[] = [];
    await late.run(parsed, {
      roomId: ROOM,
      sender: MOD,
      isManagementRoom: false,
      hideCommand: async () => undefined,
      openPortal: async (id) => assert.fail(`no command here opens a portal (${id})`),
      reply: async (r) => void replies.push(r),
    });
    assert.match(replies[0] ?? "", /^Linked this room to lobby\./);
    assert.match(late.helpText(), /!link <remote room id>/);
    assert.match(late.helpText(), /!relay \[on\|off\]/);
    assert.match(late.helpText(), /!unlink — /);
  });
});
