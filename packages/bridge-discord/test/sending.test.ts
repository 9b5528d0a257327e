import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { RemoteMessageId, RemoteRoomId } from "bridge-core";
import { parse } from "yaml";
import { parseDiscordConfig } from "../src/config.ts";
import { channelRoomId, discordMessageId, parseChannelRoomId, reactionId } from "../src/discord-ids.ts";
import { webhookUsername } from "../src/discord-sender.ts";
import { splitMessage } from "../src/split-message.ts";

const GUILD = "111111111111111111";
const CHANNEL = "222222222222222222";

describe("Discord ids", () => {
  test("a channel is <guild>_<channel> (read from <guild>/<channel> too); anything else is not a Discord room", () => {
    assert.equal(channelRoomId(GUILD, CHANNEL), `${GUILD}_${CHANNEL}`);
    for (const spelling of [`${GUILD}_${CHANNEL}`, `${GUILD}/${CHANNEL}`]) {
      assert.deepEqual(parseChannelRoomId(spelling as RemoteRoomId), { guildId: GUILD, channelId: CHANNEL });
    }
    for (const bad of [CHANNEL, `${GUILD}_${CHANNEL}_1`, `${GUILD}/${CHANNEL}/x`, "#chan", `${GUILD}_abc`]) {
      assert.equal(parseChannelRoomId(bad as RemoteRoomId), null, bad);
    }
  });

  test("attachment parts and reactions map back to the Discord message", () => {
    assert.equal(discordMessageId(`${CHANNEL}.2` as RemoteMessageId), CHANNEL);
    assert.equal(discordMessageId(reactionId(CHANNEL, GUILD, "👍")), null);
  });
});

describe("sending to Discord", () => {
  test("long text is split at line breaks, then spaces, every character kept", () => {
    const words = Array.from({ length: 500 }, (_, i) => `w${i}`).join(" ");
    const pieces = splitMessage(words, 100);
    assert.ok(pieces.every((p) => p.length <= 100));
    assert.equal(pieces.join(" "), words);
    assert.deepEqual(splitMessage(`${"a".repeat(60)}\n${"b".repeat(60)}`, 100), [
      "a".repeat(60),
      "b".repeat(60),
    ]);
    assert.deepEqual(splitMessage("x".repeat(250), 100), ["x".repeat(100), "x".repeat(100), "x".repeat(50)]);
    assert.deepEqual(splitMessage("😀".repeat(3), 2), ["😀😀", "😀"]);
  });

  test("webhook names stay within Discord's rules", () => {
    assert.equal(webhookUsername("Alice"), "Alice");
    assert.ok(!/discord/i.test(webhookUsername("Discord fan")));
    assert.ok(!/clyde/i.test(webhookUsername("clyde")));
    assert.equal(webhookUsername("  "), "Matrix user");
    assert.equal([...webhookUsername("n".repeat(200))].length, 80);
  });

  test("settings are checked when the plugin is made, without quoting the token", () => {
    const config = parseDiscordConfig({ bot_token: "MTIz.abcdefghijklmnopqrstuvwx" });
    assert.equal(config.api_url, "https://discord.com/api");
    assert.equal(config.max_message_length, 2000);
    assert.throws(
      () => parseDiscordConfig({ bot_token: "secret token with spaces" }),
      (err: Error) =>
        err.message.includes("network.config.bot_token") && !err.message.includes("secret token"),
    );
    assert.throws(
      () => parseDiscordConfig({ bot_token: "MTIz.abcdefghijklmnopqrstuvwx", extra: 1 }),
      /extra/,
    );
  });

  test("the example settings (config.example.yaml) pass the same checks, every key spelt out", () => {
    const example = parse(readFileSync(new URL("../config.example.yaml", import.meta.url), "utf8"));
    assert.deepEqual(parseDiscordConfig(example), example);
  });
});
