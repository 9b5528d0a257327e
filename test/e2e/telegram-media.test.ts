// Files through the Telegram bridge, against the Bot API emulator and a real Synapse: photos, documents, voice
// messages, videos and stickers cross both ways through Matrix media, byte for byte; what carries no file Telegram
// serves (some stickers, locations) is described in text, caption included.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import type { TelegramNetwork } from "bridge-telegram";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import type { TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import type { TelegramEmulator, TelegramTestUser } from "../harness/telegram/telegram-emulator.ts";
import { CAROL as carol, GROUP as group, startTelegramSuite } from "../harness/telegram/telegram-suite.ts";

describe("Telegram bridge: files both ways", () => {
  const runDir = useRunDir("telegram-media");
  let emulator: TelegramEmulator;
  let stack: BridgeStack<TelegramNetwork>;
  let alice: TestClient;
  let room: RoomId;
  let ghost: (user: TelegramTestUser) => string;

  before(async () => {
    const suite = await startTelegramSuite(runDir);
    ({ emulator, stack, alice, ghost } = suite);
    await emulator.say(group, carol, "hello");
    room = await alice.join(suite.alias());
    await alice.waitForEvent((e) => e.sender === ghost(carol) && e.content["body"] === "hello", {
      roomId: room,
    });
  });

  test("content without a file to fetch (a sticker Telegram does not serve, a location) is described, caption included", async () => {
    await emulator.post(group, carol, {
      sticker: {
        file_id: "s1",
        file_unique_id: "s1",
        type: "regular",
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
        emoji: "😀",
      },
    });
    await alice.waitForEvent((e) => e.sender === ghost(carol) && e.content["body"] === "[sticker 😀]", {
      roomId: room,
    });
    await emulator.post(group, carol, {
      location: { latitude: 48.85, longitude: 2.35 },
      caption: "here",
      caption_entities: [{ type: "bold", offset: 0, length: 4 }],
    });
    const location = await alice.waitForEvent((e) => String(e.content["body"]).startsWith("[location"), {
      roomId: room,
    });
    assert.equal(location.content["body"], "[location 48.85, 2.35] here");
    assert.equal(location.content["formatted_body"], "[location 48.85, 2.35] <b>here</b>");
  });

  test("files cross both ways through Matrix media: photos with captions, documents, voice messages", async () => {
    const photo = randomBytes(3000);
    await emulator.addFile("photo-1", photo);
    await emulator.post(group, carol, {
      photo: [
        { file_id: "thumb-1", file_unique_id: "t1", width: 90, height: 90, file_size: 100 },
        { file_id: "photo-1", file_unique_id: "p1", width: 800, height: 600, file_size: photo.byteLength },
      ],
      caption: "look",
    });
    const image = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["msgtype"] === "m.image",
      {
        roomId: room,
      },
    );
    const mxc = String(image.content["url"]).replace("mxc://", "");
    const download = await fetch(`${stack.synapse.url}/_matrix/client/v1/media/download/${mxc}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), photo);
    await alice.waitForEvent((e) => e.sender === ghost(carol) && e.content["body"] === "look", {
      roomId: room,
    });

    const pdf = randomBytes(5000);
    const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=report.pdf`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "application/pdf" },
      body: pdf,
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    await alice.sendMessage(room, {
      msgtype: "m.file",
      body: "report.pdf",
      url: content_uri,
      info: { mimetype: "application/pdf", size: pdf.byteLength },
    });
    const sent = await emulator.waitForBotMessage(group, (m) => m.document !== undefined, "the document");
    assert.equal(sent.document?.file_name, "report.pdf");
    assert.equal(sent.document?.sha256, createHash("sha256").update(pdf).digest("hex"));
    assert.equal(sent.caption, "<b>Alice &lt;script&gt;</b>: ");

    // A Matrix voice message (Ogg Opus) is a Telegram voice message; one from Telegram is Matrix audio.
    const ogg = randomBytes(1500);
    const voiceUpload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=voice.ogg`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "audio/ogg" },
      body: ogg,
    });
    const voiceUri = ((await voiceUpload.json()) as { content_uri: string }).content_uri;
    await alice.sendMessage(room, {
      msgtype: "m.audio",
      body: "voice.ogg",
      url: voiceUri,
      info: { mimetype: "audio/ogg", size: ogg.byteLength },
    });
    const voice = await emulator.waitForBotMessage(group, (m) => m.voice !== undefined, "the voice message");
    assert.equal(voice.voice?.sha256, createHash("sha256").update(ogg).digest("hex"));
    await emulator.addFile("voice-1", ogg);
    await emulator.post(group, carol, {
      voice: { file_id: "voice-1", file_unique_id: "v1", duration: 2, mime_type: "audio/ogg" },
    });
    const audio = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["msgtype"] === "m.audio",
      {
        roomId: room,
      },
    );
    assert.equal((audio.content["info"] as Record<string, unknown>)["mimetype"], "audio/ogg");
  });

  test("videos cross both ways, and a sticker Telegram serves arrives as an image", async () => {
    const clip = randomBytes(4000);
    await emulator.addFile("video-1", clip);
    await emulator.post(group, carol, {
      video: {
        file_id: "video-1",
        file_unique_id: "vd1",
        width: 320,
        height: 240,
        duration: 3,
        file_size: clip.byteLength,
      },
    });
    const video = await alice.waitForEvent(
      (e) => e.sender === ghost(carol) && e.content["msgtype"] === "m.video",
      { roomId: room },
    );
    const mxc = String(video.content["url"]).replace("mxc://", "");
    const download = await fetch(`${stack.synapse.url}/_matrix/client/v1/media/download/${mxc}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), clip);

    const mp4 = randomBytes(6000);
    const upload = await fetch(`${stack.synapse.url}/_matrix/media/v3/upload?filename=clip.mp4`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "video/mp4" },
      body: mp4,
    });
    const { content_uri } = (await upload.json()) as { content_uri: string };
    await alice.sendMessage(room, {
      msgtype: "m.video",
      body: "clip.mp4",
      url: content_uri,
      info: { mimetype: "video/mp4", size: mp4.byteLength },
    });
    const sent = await emulator.waitForBotMessage(group, (m) => m.video !== undefined, "the video");
    assert.equal(sent.video?.sha256, createHash("sha256").update(mp4).digest("hex"));

    const webp = randomBytes(2000);
    await emulator.addFile("sticker-2", webp);
    await emulator.post(group, carol, {
      sticker: {
        file_id: "sticker-2",
        file_unique_id: "st2",
        type: "regular",
        width: 512,
        height: 512,
        is_animated: false,
        is_video: false,
        emoji: "🎉",
      },
    });
    const sticker = await alice.waitForEvent(
      (e) =>
        e.sender === ghost(carol) &&
        e.content["msgtype"] === "m.image" &&
        e.content["body"] === "sticker.webp",
      { roomId: room },
    );
    assert.equal((sticker.content["info"] as Record<string, unknown>)["mimetype"], "image/webp");
  });
});
