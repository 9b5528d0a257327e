// The Discord bridge's richer mapping, against the Discord API emulator and Synapse: avatars on ghosts and the server
// icon on portals (uploaded once, followed when they change), channel name and topic followed, announcement channels
// as portals, threads as Matrix threads both ways, custom emoji reactions as image reactions, Matrix users' avatars on
// their webhook messages, rich embeds as quoted text (link previews left to Matrix clients), stickers as images, and
// the bot's commands listing servers and channels with their aliases and inviting into a channel's room.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { DiscordNetwork } from "bridge-discord";
import { type APIUser, ChannelType, EmbedType } from "discord-api-types/v10";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { startDiscordBridgeStack } from "../harness/discord/discord-bridge-stack.ts";
import { DiscordEmulator } from "../harness/discord/discord-emulator.ts";
import { eventually } from "../harness/eventually.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("Discord bridge: avatars, channel details, announcements, threads, embeds, stickers, commands", () => {
  const runDir = useRunDir("discord-features");
  let emulator: DiscordEmulator;
  let stack: BridgeStack<DiscordNetwork>;
  let alice: TestClient;
  let carol: APIUser;
  let guild: string;
  let channelId: string;
  let room: RoomId;
  const carolAvatar = randomBytes(2000);
  const icon = randomBytes(1500);
  const ghost = (user: APIUser) => `@discord_${user.id}:${stack.synapse.serverName}`;
  const alias = (channel: string) => `#discord_${guild}_${channel}:${stack.synapse.serverName}`;

  /** The bytes behind an mxc:// URI, through Synapse's authenticated media. */
  async function download(mxc: unknown): Promise<Buffer> {
    const [, server, id] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(String(mxc)) ?? [];
    const response = await fetch(`${stack.synapse.url}/_matrix/client/v1/media/download/${server}/${id}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    assert.equal(response.status, 200);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Sends a command in a DM with the bot and returns the bot's answer. */
  async function command(dm: RoomId, text: string): Promise<string> {
    const sent = await alice.sendText(dm, text);
    await alice.waitForEvent((e) => e.event_id === sent, { roomId: dm });
    const after = alice.eventsSeen(dm).findIndex((e) => e.event_id === sent);
    const reply = await alice.waitForEvent(
      (e) =>
        e.sender === `@discordbot:${stack.synapse.serverName}` &&
        e.type === "m.room.message" &&
        alice.eventsSeen(dm).indexOf(e) > after,
      { roomId: dm },
    );
    return String(reply.content["body"]);
  }

  before(async () => {
    emulator = await DiscordEmulator.start();
    runDir.addTeardown(() => emulator.stop());
    carol = emulator.createUser("carol", "Carol");
    guild = emulator.createGuild("Lobby", carol);
    emulator.admin.setAvatar(carol, carolAvatar);
    emulator.admin.setGuildIcon(guild, icon);
    channelId = emulator.createChannel(guild, "general", "talk here").id;
    stack = await startDiscordBridgeStack({ runDir: runDir.path, emulator });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("ghosts wear their Discord avatar and portals the server's icon; both follow changes", async () => {
    emulator.say(channelId, carol, "hello with a face");
    room = await eventually(() => alice.join(alias(channelId)));
    await alice.waitForEvent((e) => e.content["body"] === "hello with a face", { roomId: room });
    const member = await alice.getState(room, "m.room.member", ghost(carol));
    assert.deepEqual(await download(member?.["avatar_url"]), carolAvatar);
    const roomAvatar = await alice.getState(room, "m.room.avatar");
    assert.deepEqual(await download(roomAvatar?.["url"]), icon);

    const newer = randomBytes(2100);
    emulator.admin.setAvatar(carol, newer);
    await eventually(async () => {
      const now = await alice.getState(room, "m.room.member", ghost(carol));
      assert.deepEqual(await download(now?.["avatar_url"]), newer);
    });
    const newIcon = randomBytes(1600);
    emulator.admin.setGuildIcon(guild, newIcon);
    await eventually(async () => {
      assert.deepEqual(await download((await alice.getState(room, "m.room.avatar"))?.["url"]), newIcon);
    });
  });

  test("the channel's name and topic follow it", async () => {
    emulator.admin.updateChannel(channelId, { name: "lounge", topic: "new topic" });
    await eventually(async () => {
      assert.equal((await alice.getState(room, "m.room.name"))?.["name"], "lounge");
      assert.equal((await alice.getState(room, "m.room.topic"))?.["topic"], "new topic");
    });
  });

  test("an announcement channel is a portal too", async () => {
    const news = emulator.createChannel(guild, "news", undefined, ChannelType.GuildAnnouncement);
    emulator.say(news.id, carol, "version 2 is out");
    const newsRoom = await eventually(() => alice.join(alias(news.id)));
    await alice.waitForEvent((e) => e.content["body"] === "version 2 is out", { roomId: newsRoom });
  });

  test("a Discord thread is a Matrix thread of the message it started from, both ways", async () => {
    const starter = emulator.say(channelId, carol, "shall we talk about it?");
    const starterEvent = await alice.waitForEvent((e) => e.content["body"] === "shall we talk about it?", {
      roomId: room,
    });
    const thread = emulator.admin.createThread(channelId, "about it", carol, starter.id);
    emulator.say(thread.id, carol, "in the thread");
    const inThread = await alice.waitForEvent((e) => e.content["body"] === "in the thread", { roomId: room });
    assert.deepEqual(inThread.content["m.relates_to"], {
      rel_type: "m.thread",
      event_id: starterEvent.event_id,
      is_falling_back: true,
      "m.in_reply_to": { event_id: starterEvent.event_id },
    });

    // Element's shape of a thread message: the reply only a fallback for clients without threads.
    const inMatrixThread = (root: string, body: string) =>
      alice.sendMessage(room, {
        msgtype: "m.text",
        body,
        "m.relates_to": {
          rel_type: "m.thread",
          event_id: root,
          is_falling_back: true,
          "m.in_reply_to": { event_id: root },
        },
      });
    await inMatrixThread(starterEvent.event_id!, "answer from Matrix");
    const answer = await emulator.waitForMessage(
      thread.id,
      (m) => m.content === "answer from Matrix",
      "the answer",
    );
    assert.ok(answer.webhook_id, "through the channel's webhook");
    assert.ok(
      !emulator.messages(channelId).some((m) => m.content === "answer from Matrix"),
      "not in the channel",
    );

    // A Matrix thread on a Discord message that has none starts the Discord thread.
    const plain = emulator.say(channelId, carol, "no thread here yet");
    const plainEvent = await alice.waitForEvent((e) => e.content["body"] === "no thread here yet", {
      roomId: room,
    });
    await inMatrixThread(plainEvent.event_id!, "now there is one");
    await emulator.waitForMessage(
      plain.id,
      (m) => m.content === "now there is one",
      "the first message of a new thread",
    );
  });

  test("a custom emoji reaction arrives as an image reaction with its shortcode", async () => {
    const target = emulator.say(channelId, carol, "react to me");
    const targetEvent = await alice.waitForEvent((e) => e.content["body"] === "react to me", {
      roomId: room,
    });
    const png = randomBytes(900);
    emulator.react(channelId, target.id, carol, emulator.admin.addEmoji(guild, "blob", png));
    const reaction = await alice.waitForEvent(
      (e) => e.type === "m.reaction" && e.content["shortcode"] === ":blob:",
      { roomId: room },
    );
    const relates = reaction.content["m.relates_to"] as Record<string, unknown>;
    assert.equal(relates["event_id"], targetEvent.event_id);
    assert.match(String(relates["key"]), /^mxc:\/\//);
    assert.equal(reaction.content["com.beeper.reaction.shortcode"], ":blob:");
    assert.deepEqual(await download(relates["key"]), png);
  });

  test("a Matrix user's webhook messages carry their avatar, as a link Discord opens without a Matrix token", async () => {
    const face = randomBytes(1800);
    const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=face.png`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "image/png" },
      body: face,
    });
    const { content_uri: mxc } = (await upload.json()) as { content_uri: string };
    await alice.request("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/avatar_url`, {
      avatar_url: mxc,
    });
    await alice.waitForEvent(
      (e) => e.type === "m.room.member" && e.state_key === alice.userId && e.content["avatar_url"] === mxc,
      { roomId: room },
    );
    await alice.sendText(room, "with my face");
    const sent = await emulator.waitForMessage(
      channelId,
      (m) => m.content === "with my face",
      "Alice's message",
    );
    const avatarUrl = emulator.webhookAvatarOf(sent.id) ?? "";
    assert.ok(!avatarUrl.includes("mxc://") && !avatarUrl.includes(stack.synapse.url), avatarUrl);
    const fetched = await emulator.webhookAvatarFetched(sent.id);
    assert.equal(fetched?.status, 200);
    assert.deepEqual(Buffer.from(fetched?.data ?? []), face);
  });

  test("rich embeds arrive as quoted text, link previews are left out, stickers arrive as images", async () => {
    emulator.say(channelId, carol, "see https://example.org", {
      embeds: [
        { type: EmbedType.Link, url: "https://example.org", title: "Example Domain" },
        {
          type: EmbedType.Rich,
          title: "Release",
          url: "https://example.org/release",
          description: "**big** news",
          fields: [{ name: "Version", value: "2.0" }],
          footer: { text: "from the bot" },
        },
      ],
    });
    const embedded = await alice.waitForEvent(
      (e) => String(e.content["body"]).startsWith("see https://example.org"),
      { roomId: room },
    );
    assert.equal(
      embedded.content["body"],
      "see https://example.org\n> Release (https://example.org/release)\n> big news\n> Version: 2.0\n> from the bot",
    );
    assert.ok(!String(embedded.content["body"]).includes("Example Domain"), "no link preview");

    const png = randomBytes(1200);
    emulator.say(channelId, carol, "", { stickers: [emulator.admin.addSticker("wave", png)] });
    const sticker = await alice.waitForEvent(
      (e) => e.content["msgtype"] === "m.image" && e.content["body"] === "wave.png",
      { roomId: room },
    );
    assert.deepEqual(await download(sticker.content["url"]), png);
  });

  test("the bot lists its servers and a server's channels with the alias to join; invite gives the add link", async () => {
    const dm = await alice.createDirectMessage(`@discordbot:${stack.synapse.serverName}`);
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith("Hello"), { roomId: dm });
    assert.match(await command(dm, "guilds"), new RegExp(`Lobby \\(${guild}\\)`));
    const channels = await command(dm, `channels ${guild}`);
    assert.ok(channels.includes(`#lounge: join ${alias(channelId)} (bridged)`), channels);
    assert.match(channels, /#news \(announcements\): join/);
    assert.match(await command(dm, "channels 123"), /server id/);
    const invite = await command(dm, "invite");
    assert.match(invite, new RegExp(`client_id=${emulator.bot.id}.*scope=bot`));
  });

  test("join <server>/<channel> in the DM makes the channel's room and invites the user into it", async () => {
    const quiet = emulator.createChannel(guild, "quiet", "nobody spoke here").id;
    const dm = await alice.createDirectMessage(`@discordbot:${stack.synapse.serverName}`);
    await alice.waitForEvent((e) => String(e.content["body"]).startsWith("Hello"), { roomId: dm });
    assert.equal(await command(dm, `join ${guild}/${quiet}`), `Invited you to ${alias(quiet)}.`);
    const invited = await alice.waitForInvite((e) => e.type === "m.room.member");
    assert.equal(await alice.join(invited), await alice.join(alias(quiet)));
    assert.match(await command(dm, "join 123/456"), /<server id>\/<channel id>/);
  });
});
