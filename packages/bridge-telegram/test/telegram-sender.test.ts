import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type MatrixMessage,
  type OutgoingMedia,
  type RichText,
  remoteMessageId,
  remoteRoomId,
  type SendAs,
  type UserId,
} from "bridge-core";
import { TelegramApiError } from "node-telegram-bot-api";
import type { TelegramBotApi } from "../src/bot-api.ts";
import { RelayTemplate } from "../src/formatting/relay.ts";
import { ChatSendQueue } from "../src/send-queue.ts";
import { TelegramSender } from "../src/telegram-sender.ts";

/** A Telegram that numbers what the bot sends and records every call. */
function fakeTelegram() {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  let nextId = 100;
  const record = (method: string) => async (params: Record<string, unknown>) => {
    calls.push({ method, params });
    return { message_id: nextId++, date: 0, chat: { id: params["chat_id"], type: "supergroup" } };
  };
  const api = {
    sendMessage: record("sendMessage"),
    sendDocument: record("sendDocument"),
    editMessageText: record("editMessageText"),
    deleteMessage: record("deleteMessage"),
  } as unknown as TelegramBotApi;
  return { api, calls };
}

function senderWith(api: TelegramBotApi, maxMessageLength = 20) {
  const stored = new Map<string, unknown>();
  const queue = new ChatSendQueue({ signal: new AbortController().signal });
  const sender = new TelegramSender({
    api,
    queue,
    relayTemplate: new RelayTemplate("<b>{displayname}</b>: {message}"),
    maxMessageLength,
    storage: {
      get: async (key) => stored.get(key),
      put: async (key, value) => {
        stored.set(key, value);
      },
      delete: async (key) => {
        stored.delete(key);
      },
    },
    puppetName: (id) => `Telegram user ${id}`,
  });
  return { sender, stored };
}

const relay: SendAs = { kind: "relay", marks: { displayName: "Al", before: "Al: ", after: "" } };
const side = {
  remoteRoomId: remoteRoomId("-100"),
  sender: "@al:x" as UserId,
  senderName: "Al",
  as: relay,
};
const plain = (text: string): RichText => [{ type: "text", text }];
const message = (text: string, extra: Partial<MatrixMessage> = {}): MatrixMessage => ({
  ...side,
  kind: "text",
  text: plain(text),
  ...extra,
});
/** A Matrix file that records what was asked of it. */
function file(fields: { filename: string; size?: number }) {
  const downloads: (number | undefined)[] = [];
  const media: OutgoingMedia = {
    kind: "file",
    ...fields,
    link: () => "https://media.example/f",
    download: async (maxBytes) => {
      downloads.push(maxBytes);
      return { data: new Uint8Array([1]), contentType: "application/pdf" };
    },
  };
  return { media, downloads };
}

describe("sending to Telegram", () => {
  test("a long message goes out in parts; its id lists them; a reply to any part finds it", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api);
    const result = await sender.sendMessage(message("one two three four five six seven"));
    assert.equal(result.remoteMessageId, "100+101+102");
    assert.deepEqual(
      telegram.calls.map((c) => c.params["text"]),
      ["<b>Al</b>: one two three ", "<b>Al</b>: four five six ", "<b>Al</b>: seven"],
    );
    assert.ok(telegram.calls.every((c) => c.params["parse_mode"] === "HTML"));
    assert.equal(await sender.messageOfPart(-100, 101), "100+101+102");
    assert.equal(await sender.messageOfPart(-100, 7), "7");
  });

  test("a linked account's message goes under its Telegram name; an emote reads as an action", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api, 4096);
    const puppet: SendAs = { kind: "puppet", remoteUserId: "42" as never };
    await sender.sendMessage({ ...message("hi <you>"), as: puppet });
    await sender.sendMessage({ ...message("waves\nand bows"), kind: "emote" });
    assert.deepEqual(
      telegram.calls.map((c) => c.params["text"]),
      ["<b>Telegram user 42</b>: hi &lt;you&gt;", "* Al waves\n* Al and bows"],
    );
  });

  test("a reply threads to the first part of its target; one to a message never bridged quotes it", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api, 4096);
    await sender.sendMessage(
      message("yes", { reply: { to: remoteMessageId("7+8"), author: "Bob", text: "q" } }),
    );
    await sender.sendMessage(message("no", { reply: { author: "Bob", text: "a question" } }));
    assert.deepEqual(
      telegram.calls.map((c) => [c.params["text"], c.params["reply_parameters"] ?? null]),
      [
        ["<b>Al</b>: yes", { message_id: 7, allow_sending_without_reply: true }],
        ["<b>Al</b>: <blockquote>Bob: a question</blockquote>\n<b>Al</b>: no", null],
      ],
    );
  });

  test("after a failure part way, the retry sends only the parts still missing", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api);
    const eventId = "$e" as MatrixMessage["eventId"];
    const text = "one two three four five six seven";
    // The first part goes out, the second fails.
    let sent = 0;
    const original = telegram.api.sendMessage;
    telegram.api.sendMessage = async (params) => {
      if (sent++ === 1) throw new TelegramApiError(500, "Internal Server Error");
      return original(params);
    };
    await assert.rejects(sender.sendMessage(message(text, { eventId })));
    const result = await sender.sendMessage(message(text, { eventId, mayHaveBeenSent: true }));
    const texts = telegram.calls.map((c) => String(c.params["text"]));
    assert.deepEqual(
      texts,
      ["<b>Al</b>: one two three ", "<b>Al</b>: four five six ", "<b>Al</b>: seven"],
      "no part twice",
    );
    assert.equal(result.remoteMessageId, "100+101+102");
  });

  test("an edit edits the parts in place, sends what no longer fits, deletes what is left over", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api);
    await sender.sendEdit({ ...side, target: remoteMessageId("5+6"), kind: "text", text: plain("short") });
    assert.deepEqual(
      telegram.calls.map((c) => [c.method, c.params["message_id"] ?? null, c.params["text"] ?? null]),
      [
        ["editMessageText", 5, "<b>Al</b>: short"],
        ["deleteMessage", 6, null],
      ],
    );
    telegram.calls.length = 0;
    await sender.sendEdit({
      ...side,
      target: remoteMessageId("5"),
      kind: "text",
      text: plain("one two three four five six seven"),
    });
    assert.deepEqual(
      telegram.calls.map((c) => c.method),
      ["editMessageText", "sendMessage", "sendMessage"],
    );
  });

  test("a redaction deletes every part; Telegram's refusal is final, not retried", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api);
    await sender.sendRedaction({ ...side, target: remoteMessageId("5+6+7") });
    assert.deepEqual(
      telegram.calls.map((c) => c.params["message_id"]),
      [5, 6, 7],
    );
    telegram.api.deleteMessage = async () => {
      throw new TelegramApiError(400, "Bad Request: message can't be deleted");
    };
    await assert.rejects(sender.sendRedaction({ ...side, target: remoteMessageId("5") }), {
      name: "PermanentDeliveryError",
    });
  });

  test("a message to something that is not a chat id, or of nothing but white space, is refused for good", async () => {
    const { sender } = senderWith(fakeTelegram().api);
    await assert.rejects(sender.sendMessage({ ...message("x"), remoteRoomId: remoteRoomId("#irc") }), {
      name: "PermanentDeliveryError",
    });
    await assert.rejects(
      sender.sendMessage({ ...message(" \n "), as: { kind: "puppet", remoteUserId: "1" as never } }),
      {
        name: "PermanentDeliveryError",
      },
    );
  });

  test("a file is fetched within Telegram's limit and uploaded, its caption naming the sender", async () => {
    const telegram = fakeTelegram();
    const { sender } = senderWith(telegram.api, 4096);
    const report = file({ filename: "report.pdf" });
    await sender.sendMessage(message("report.pdf", { media: report.media }));
    const captioned = file({ filename: "report.pdf" });
    await sender.sendMessage(message("the numbers", { media: captioned.media }));
    assert.deepEqual(report.downloads, [50 * 1024 * 1024]);
    assert.deepEqual(
      telegram.calls.map((c) => [c.method, c.params["caption"]]),
      [
        ["sendDocument", "<b>Al</b>: "],
        ["sendDocument", "<b>Al</b>: the numbers"],
      ],
    );
  });

  test("files too large for Telegram are refused before they are fetched", async () => {
    const { sender } = senderWith(fakeTelegram().api);
    const big = file({ filename: "big.bin", size: 60 * 1024 * 1024 });
    await assert.rejects(sender.sendMessage(message("big.bin", { media: big.media })), /larger than/);
    assert.deepEqual(big.downloads, []);
  });
});
