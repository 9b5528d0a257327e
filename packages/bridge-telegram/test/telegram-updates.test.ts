import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Logger, type RemoteEvents, remoteMessageId } from "bridge-core";
import type { Message, Update } from "node-telegram-bot-api";
import { TelegramUpdates } from "../src/telegram-updates.ts";

const BOT_ID = 666;
const group = { id: -1005, type: "supergroup", title: "G" };
const carol = { id: 7, is_bot: false, first_name: "Carol", last_name: "<b>X</b>" };

/** Records what the updates handler reports, as `kind` and the call's argument. */
function recordingRemote(): { remote: RemoteEvents; calls: [string, Record<string, unknown>][] } {
  const calls: [string, Record<string, unknown>][] = [];
  const remote = new Proxy({} as RemoteEvents, {
    get: (_target, kind: string) => async (arg: Record<string, unknown>) => {
      calls.push([kind, arg]);
    },
  });
  return { remote, calls };
}

function handlerFor(options: { bridged?: boolean; files?: Record<string, Uint8Array> } = {}) {
  const { remote, calls } = recordingRemote();
  const lines: string[] = [];
  const privateMessages: Message[] = [];
  const updates = new TelegramUpdates({
    remote,
    logger: Logger.create({ level: "debug", sink: { write: (line) => lines.push(line) } }),
    botId: BOT_ID,
    replyTarget: async (_chat, id) => remoteMessageId(id === 99 ? "98+99" : String(id)),
    downloadFile: async (file) => {
      const data = options.files?.[file.fileId];
      if (data === undefined) throw new Error("no such file");
      return data;
    },
    seen: () => undefined,
    avatarOf: async () => undefined,
    isBridged: async () => options.bridged ?? true,
    command: async (message) => message.text === "/link_matrix x",
    privateMessage: async (message) => {
      privateMessages.push(message);
    },
  });
  return { updates, calls, lines, privateMessages };
}

const message = (fields: Partial<Message>): Message =>
  ({ message_id: 10, date: 1_700_000_000, chat: group, from: carol, ...fields }) as Message;

describe("Telegram updates → the core", () => {
  test("a text message from a user, with its reply target and time", async () => {
    const { updates, calls } = handlerFor();
    await updates.handle({
      update_id: 1,
      message: message({ text: "hi", reply_to_message: message({ message_id: 99 }) }),
    } as Update);
    assert.deepEqual(calls, [
      [
        "message",
        {
          roomId: "-1005",
          sender: { id: "7", displayName: "Carol <b>X</b>" },
          id: "10",
          replyTo: "98+99",
          timestamp: 1_700_000_000_000,
          text: [{ type: "text", text: "hi" }],
        },
      ],
    ]);
  });

  test("a message written as a chat (an anonymous admin) comes from that chat", async () => {
    const { updates, calls } = handlerFor();
    await updates.handle({
      update_id: 1,
      message: message({ text: "anon", sender_chat: { id: -1005, type: "supergroup", title: "G" } }),
    } as Update);
    assert.deepEqual(calls[0]?.[1]["sender"], { id: "-1005", displayName: "G" });
  });

  test("updates of unknown kinds and channels are skipped, the kind logged; private chats go to the bot's commands", async () => {
    const { updates, calls, lines, privateMessages } = handlerFor();
    await updates.handle({ update_id: 5, some_future_kind: { x: 1 } } as unknown as Update);
    await updates.handle({
      update_id: 6,
      message: message({ text: "dm", chat: { id: 7, type: "private" } }),
    } as Update);
    await updates.handle({ update_id: 7, channel_post: message({ text: "post" }) } as Update);
    assert.deepEqual(calls, []);
    assert.ok(lines.some((l) => l.includes("some_future_kind")));
    assert.deepEqual(
      privateMessages.map((m) => m.text),
      ["dm"],
    );
  });

  test("the bridge's own commands and groups that are not bridged go no further", async () => {
    const own = handlerFor();
    await own.updates.handle({ update_id: 1, message: message({ text: "/link_matrix x" }) } as Update);
    assert.deepEqual(own.calls, []);
    const unbridged = handlerFor({ bridged: false });
    await unbridged.updates.handle({ update_id: 1, message: message({ text: "hello" }) } as Update);
    assert.deepEqual(unbridged.calls, []);
  });

  test("the bot joining opens the portal; other members join as ghosts; removals are kicks", async () => {
    const { updates, calls } = handlerFor();
    await updates.handle({
      update_id: 1,
      message: message({
        new_chat_members: [
          { id: BOT_ID, is_bot: true, first_name: "Bot" },
          { id: 8, is_bot: false, first_name: "Dave" },
        ],
      }),
    } as Update);
    await updates.handle({
      update_id: 2,
      message: message({ left_chat_member: { id: 8, is_bot: false, first_name: "Dave" } }),
    } as Update);
    assert.deepEqual(
      calls.map(([kind]) => kind),
      ["roomInfo", "membership", "kick"],
    );
    assert.deepEqual(calls[0]?.[1], { id: "-1005", name: "G" });
  });

  test("a photo arrives as a file with its caption after it; an unfetchable one as a description", async () => {
    const photo = new Uint8Array([1, 2, 3]);
    const { updates, calls } = handlerFor({ files: { big: photo } });
    const sizes = [
      { file_id: "small", file_unique_id: "s", width: 10, height: 10 },
      { file_id: "big", file_unique_id: "b", width: 100, height: 100 },
    ];
    await updates.handle({ update_id: 1, message: message({ photo: sizes, caption: "look" }) } as Update);
    const media = calls[0]?.[1]["media"] as { data: Uint8Array; kind: string } | undefined;
    assert.deepEqual([media?.data, media?.kind], [photo, "image"]);
    assert.deepEqual(calls[0]?.[1]["text"], []);
    assert.deepEqual(
      [calls[1]?.[1]["id"], calls[1]?.[1]["text"]],
      ["10.caption", [{ type: "text", text: "look" }]],
    );

    const failing = handlerFor();
    await failing.updates.handle({
      update_id: 2,
      message: message({ photo: sizes, caption: "look" }),
    } as Update);
    assert.deepEqual(failing.calls[0]?.[1]["text"], [{ type: "text", text: "[photo] look" }]);
  });

  test("an edited caption edits the caption's message", async () => {
    const { updates, calls } = handlerFor();
    await updates.handle({
      update_id: 1,
      edited_message: message({ document: { file_id: "d", file_unique_id: "d" }, caption: "new" }),
    } as Update);
    assert.deepEqual(calls[0], [
      "edit",
      {
        roomId: "-1005",
        sender: { id: "7", displayName: "Carol <b>X</b>" },
        target: "10.caption",
        text: [{ type: "text", text: "new" }],
      },
    ]);
  });
});
