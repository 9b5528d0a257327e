// Linking, double puppeting and moderation with Discord, against the Discord API emulator and Synapse: a moderator
// of a Matrix room links it with `!link <guild>/<channel>` and the channel's moderators consent by reaction (anyone
// else's reaction counts for nothing, and ❌ refuses); a Discord user links their Matrix account from a DM with the
// bot, then speaks as it on Matrix and is seen under their Discord name and avatar on Discord; kicks and bans made on
// Discord show on Matrix, and a linked Matrix user's kicks and bans reach Discord where the bot may make them.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { DiscordNetwork } from "bridge-discord";
import { type APIUser, PermissionFlagsBits } from "discord-api-types/v10";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { startDiscordBridgeStack } from "../harness/discord/discord-bridge-stack.ts";
import { DiscordEmulator } from "../harness/discord/discord-emulator.ts";
import { BOT_PERMISSIONS } from "../harness/discord/discord-shapes.ts";
import { eventually } from "../harness/eventually.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("Discord bridge: linking with consent, double puppeting, kicks and bans", () => {
  const runDir = useRunDir("discord-plumbing");
  let emulator: DiscordEmulator;
  let stack: BridgeStack<DiscordNetwork>;
  let alice: TestClient;
  let carol: APIUser;
  let dave: APIUser;
  let erin: APIUser;
  let guild: string;
  let channelId: string;
  let room: RoomId;
  const bot = () => `@discordbot:${stack.synapse.serverName}`;
  const ghost = (user: APIUser) => `@discord_${user.id}:${stack.synapse.serverName}`;
  const fromBot = (channel: string, accept: (content: string) => boolean, what: string) =>
    emulator.waitForMessage(channel, (m) => m.author.id === emulator.bot.id && accept(m.content), what);

  async function aliceRoomWithBot(name: string): Promise<RoomId> {
    // The bot may kick and ban, so that kicks made on Discord can be shown here.
    const made = await alice.createRoom({
      name,
      power_level_content_override: { users: { [bot()]: 50 } },
    });
    await alice.invite(made, bot());
    return made;
  }

  before(async () => {
    emulator = await DiscordEmulator.start();
    runDir.addTeardown(() => emulator.stop());
    carol = emulator.createUser("carol", "Carol");
    dave = emulator.createUser("dave", "Dave");
    erin = emulator.createUser("erin", "Erin");
    guild = emulator.createGuild("Lobby", carol);
    emulator.addMember(guild, dave);
    emulator.addMember(guild, erin);
    emulator.admin.setAvatar(carol, randomBytes(500));
    channelId = emulator.createChannel(guild, "plumbed").id;
    stack = await startDiscordBridgeStack({
      runDir: runDir.path,
      emulator,
      doublePuppet: true,
      settings: { link_approval_seconds: 20 },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("!link asks the channel; a member's ✅ counts for nothing, a moderator's links the room", async () => {
    room = await aliceRoomWithBot("Alice's room");
    await alice.sendText(room, `!link ${guild}/${channelId}`);
    const request = await fromBot(channelId, (c) => c.includes("asks to bridge"), "the request");
    assert.match(request.content, /@alice:/);
    emulator.react(channelId, request.id, dave, "✅");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(
      !emulator.messages(channelId).some((m) => m.content.includes("approved")),
      "dave may not approve",
    );
    const mods = emulator.admin.createRole(guild, "mods", PermissionFlagsBits.ManageWebhooks);
    emulator.admin.giveRole(guild, erin.id, mods);
    emulator.react(channelId, request.id, erin, "✅");
    await alice.waitForEvent(
      (e) => String(e.content["body"]).startsWith(`Linked this room to ${guild}_${channelId}`),
      { roomId: room },
    );
    emulator.say(channelId, dave, "hello plumbed room");
    await alice.waitForEvent((e) => e.sender === ghost(dave) && e.content["body"] === "hello plumbed room", {
      roomId: room,
    });
    await alice.sendText(room, "hello plumbed channel");
    const sent = await emulator.waitForMessage(channelId, (m) => m.content === "hello plumbed channel", "it");
    assert.equal(sent.author.username, "Alice");
  });

  test("a moderator's ❌ refuses the link", async () => {
    const other = emulator.createChannel(guild, "private").id;
    const refused = await aliceRoomWithBot("Another room");
    await alice.sendText(refused, `!link ${guild}/${other}`);
    const request = await fromBot(other, (c) => c.includes("asks to bridge"), "the request");
    emulator.react(other, request.id, carol, "❌");
    await alice.waitForEvent((e) => String(e.content["body"]).includes("Carol refused it on Discord"), {
      roomId: refused,
    });
  });

  test("a Discord user links their Matrix account from a DM; then each side sees them as themselves", async () => {
    const dm = await alice.createDirectMessage(bot());
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith("Hello"), { roomId: dm });
    const discordDm = emulator.sayDirect(carol, `!matrix ${alice.userId}`);
    const answer = await fromBot(discordDm, (c) => c.includes("login "), "the code");
    const code = /login ([0-9a-f]+)/.exec(answer.content)?.[1];
    assert.ok(code !== undefined);
    await alice.sendText(dm, `login ${code}`);
    await alice.waitForEvent(
      (e) => String(e.content["body"]).startsWith(`Logged in to Discord as ${carol.id}`),
      {
        roomId: dm,
      },
    );
    emulator.say(channelId, carol, "written on Discord");
    const mine = await alice.waitForEvent((e) => e.content["body"] === "written on Discord", {
      roomId: room,
    });
    assert.equal(mine.sender, alice.userId);
    await alice.sendText(room, "written on Matrix");
    const sent = await emulator.waitForMessage(channelId, (m) => m.content === "written on Matrix", "it");
    assert.equal(sent.author.username, "Carol");
    assert.match(emulator.webhookAvatarOf(sent.id) ?? "", new RegExp(`/cdn/avatars/${carol.id}/`));
  });

  test("a kick and a ban on Discord show on Matrix, naming the moderator", async () => {
    emulator.say(channelId, erin, "erin is here");
    await alice.waitForEvent((e) => e.sender === ghost(erin), { roomId: room });
    emulator.admin.remove(guild, carol, dave, { reason: "spam" });
    emulator.admin.remove(guild, carol, erin, { ban: true });
    const membership = (user: APIUser, what: string) =>
      alice.waitForEvent(
        (e) => e.type === "m.room.member" && e.state_key === ghost(user) && e.content["membership"] === what,
        { roomId: room },
      );
    assert.equal((await membership(dave, "leave")).content["reason"], "kicked by Carol: spam");
    assert.equal((await membership(erin, "ban")).content["reason"], "banned by Carol");
  });

  test("a linked Matrix user's kick reaches Discord; a ban the bot may not make is refused with a notice", async () => {
    const frank = emulator.createUser("frank", "Frank");
    const grace = emulator.createUser("grace", "Grace");
    emulator.addMember(guild, frank);
    emulator.addMember(guild, grace);
    emulator.say(channelId, frank, "frank is here");
    emulator.say(channelId, grace, "grace is here");
    await alice.waitForEvent((e) => e.sender === ghost(grace), { roomId: room });
    const kick = (user: APIUser, action: "kick" | "ban") =>
      alice.request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/${action}`, {
        user_id: ghost(user),
        reason: "from Matrix",
      });
    await kick(frank, "kick");
    await eventually(async () => assert.ok(!emulator.admin.isMember(guild, frank.id), "frank is kicked"));
    const botRole = emulator.admin.botRole(guild, emulator.bot.id);
    emulator.admin.setRolePermissions(guild, botRole, BOT_PERMISSIONS & ~PermissionFlagsBits.BanMembers);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kick(grace, "ban");
    await alice.waitForEvent((e) => String(e.content["body"]).includes("may not ban members"), {
      roomId: room,
    });
    assert.ok(emulator.admin.isMember(guild, grace.id) && !emulator.admin.isBanned(guild, grace.id));
  });
});
