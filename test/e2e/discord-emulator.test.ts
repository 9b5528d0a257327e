// The Discord API emulator against an unmodified discord.js Client: it connects (REST base from the emulator, gateway
// URL from GET /gateway/bot), sees its guilds, sends through REST and a webhook, receives what users say, resumes
// after a dropped connection without losing or repeating an event, and rides out a 429 by waiting retry_after.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Client,
  Events,
  GatewayIntentBits,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  Partials,
  type TextChannel,
} from "discord.js";
import type { APINewsChannel, APITextChannel, APIUser } from "discord-api-types/v10";
import { DiscordEmulator } from "../harness/discord/discord-emulator.ts";
import { eventually } from "../harness/eventually.ts";

describe("Discord API emulator with discord.js", () => {
  let emulator: DiscordEmulator;
  let client: Client;
  let carol: APIUser;
  let guildId: string;
  let channel: APITextChannel | APINewsChannel;
  const received: Message[] = [];
  const reactions: (MessageReaction | PartialMessageReaction)[] = [];

  before(async () => {
    emulator = await DiscordEmulator.start();
    carol = emulator.createUser("carol", "Carol");
    guildId = emulator.createGuild("Lobby", carol);
    channel = emulator.createChannel(guildId, "general", "talk here");
    client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.MessageContent,
        GatewayIntentBits.GuildMessageReactions,
        GatewayIntentBits.GuildMembers,
      ],
      partials: [Partials.Message, Partials.Reaction, Partials.User],
      rest: { api: emulator.apiUrl },
    });
    client.on(Events.MessageCreate, (message) => void received.push(message));
    client.on(Events.MessageReactionAdd, (reaction) => void reactions.push(reaction));
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    await client.login(emulator.botToken);
    await ready;
  });

  after(async () => {
    await client.destroy();
    await emulator.stop();
  });

  test("discord.js logs in as the bot and gets its guild with channels and members", async () => {
    assert.equal(client.user?.id, emulator.bot.id);
    const guild = client.guilds.cache.get(guildId);
    assert.equal(guild?.name, "Lobby");
    const cached = guild?.channels.cache.get(channel.id) as TextChannel | undefined;
    assert.equal(cached?.name, "general");
    assert.equal(cached?.topic, "talk here");
    const member = await guild?.members.fetch(carol.id);
    assert.equal(member?.user.username, "carol");
  });

  test("what a user says arrives as messageCreate; a reply names its target", async () => {
    const first = emulator.say(channel.id, carol, "hello **bot**");
    emulator.say(channel.id, carol, "and again", { replyTo: first.id });
    await eventually(async () => assert.equal(received.length, 2));
    assert.equal(received[0]?.content, "hello **bot**");
    assert.equal(received[0]?.author.id, carol.id);
    assert.equal(received[1]?.reference?.messageId, first.id);
  });

  test("the bot sends, edits, reacts and deletes through REST; a webhook posts under any name", async () => {
    const textChannel = (await client.channels.fetch(channel.id)) as TextChannel;
    const sent = await textChannel.send({
      content: "from the bot",
      files: [{ attachment: Buffer.from("file body"), name: "notes.txt" }],
    });
    const stored = emulator.messages(channel.id).find((m) => m.id === sent.id);
    assert.equal(stored?.content, "from the bot");
    const attachment = stored?.attachments[0];
    assert.equal(attachment?.filename, "notes.txt");
    assert.equal(await (await fetch(attachment?.url ?? "")).text(), "file body");
    await textChannel.messages.edit(sent.id, "edited by the bot");
    assert.equal(emulator.messages(channel.id).find((m) => m.id === sent.id)?.content, "edited by the bot");
    await textChannel.messages.react(sent.id, "👍");
    await eventually(async () => assert.equal(reactions.at(-1)?.emoji.name, "👍"));

    const webhook = await textChannel.createWebhook({ name: "bridge" });
    const viaHook = await webhook.send({ content: "as someone else", username: "Alice (Matrix)" });
    const hooked = emulator.messages(channel.id).find((m) => m.id === viaHook.id);
    assert.equal(hooked?.author.username, "Alice (Matrix)");
    assert.equal(hooked?.webhook_id, webhook.id);
    await webhook.editMessage(viaHook.id, { content: "corrected" });
    assert.equal(emulator.messages(channel.id).find((m) => m.id === viaHook.id)?.content, "corrected");
    assert.deepEqual(
      (await textChannel.fetchWebhooks()).map((w) => w.id),
      [webhook.id],
    );
    await webhook.deleteMessage(viaHook.id);
    await textChannel.messages.delete(sent.id);
    assert.ok(!emulator.messages(channel.id).some((m) => m.id === sent.id || m.id === viaHook.id));
  });

  test("after a dropped gateway connection discord.js resumes and gets every missed event once", async () => {
    const before = received.length;
    const resumesBefore = emulator.gatewayCounts.resumes;
    assert.equal(emulator.dropGateway(), 1);
    for (let i = 0; i < 5; i++) emulator.say(channel.id, carol, `while away ${i}`);
    await eventually(async () => assert.equal(received.length, before + 5), 20_000);
    assert.deepEqual(
      received.slice(before).map((m) => m.content),
      [0, 1, 2, 3, 4].map((i) => `while away ${i}`),
    );
    assert.equal(emulator.gatewayCounts.resumes, resumesBefore + 1);
    assert.equal(emulator.gatewayCounts.identifies, 1, "resumed, not identified anew");
    emulator.say(channel.id, carol, "after the resume");
    await eventually(async () => assert.equal(received.at(-1)?.content, "after the resume"));
  });

  test("a 429 with retry_after holds the call that long, then it goes through", async () => {
    const textChannel = (await client.channels.fetch(channel.id)) as TextChannel;
    emulator.rateLimitNext(1, 1);
    const started = Date.now();
    const sent = await textChannel.send("after a 429");
    const limited = emulator.calls.filter((c) => c.status === 429 && c.at >= started);
    assert.equal(limited.length, 1);
    const accepted = emulator.calls.find((c) => c.status === 200 && c.at >= started && c.method === "POST");
    assert.ok(accepted !== undefined && accepted.at - (limited[0]?.at ?? 0) >= 950, "retry_after honoured");
    assert.equal(emulator.messages(channel.id).filter((m) => m.id === sent.id).length, 1);
  });
});
