// Files in Telegram messages, both ways. Incoming: the file a message carries (the largest size of a photo), fetched
// through getFile from the Bot API's file endpoint — which the Bot API serves only up to 20 MB. Outgoing: a Matrix
// file sent with the Bot API method for its kind, as a multipart upload.

import type { MediaKind } from "bridge-core";
import { InputFile, type Message } from "node-telegram-bot-api";

/** The Bot API serves files for download only up to this size. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
/** The Bot API takes uploads only up to this size (photos: 10 MB, else sent as a document). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

export interface TelegramFile {
  fileId: string;
  size?: number;
  filename: string;
  mimetype: string;
  kind: MediaKind;
}

/** The file a message carries, or null for one without a file the bridge can carry (animated stickers, none). */
export function fileOf(message: Message): TelegramFile | null {
  const size = (s: { file_size?: number }) => (s.file_size !== undefined ? { size: s.file_size } : {});
  if (message.photo && message.photo.length > 0) {
    const largest = message.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return {
      fileId: largest.file_id,
      ...size(largest),
      filename: "photo.jpg",
      mimetype: "image/jpeg",
      kind: "image",
    };
  }
  if (message.document) {
    const d = message.document;
    const mimetype = d.mime_type ?? "application/octet-stream";
    return { fileId: d.file_id, ...size(d), filename: d.file_name ?? "file", mimetype, kind: "file" };
  }
  if (message.voice)
    return {
      fileId: message.voice.file_id,
      ...size(message.voice),
      filename: "voice.ogg",
      mimetype: message.voice.mime_type ?? "audio/ogg",
      kind: "audio",
    };
  if (message.audio) {
    const a = message.audio;
    return {
      fileId: a.file_id,
      ...size(a),
      filename: a.file_name ?? "audio.mp3",
      mimetype: a.mime_type ?? "audio/mpeg",
      kind: "audio",
    };
  }
  const video = message.video ?? message.animation ?? message.video_note;
  if (video)
    return {
      fileId: video.file_id,
      ...size(video),
      filename: "video.mp4",
      mimetype: "video/mp4",
      kind: "video",
    };
  if (message.sticker && !message.sticker.is_animated) {
    const s = message.sticker;
    return s.is_video
      ? { fileId: s.file_id, ...size(s), filename: "sticker.webm", mimetype: "video/webm", kind: "video" }
      : { fileId: s.file_id, ...size(s), filename: "sticker.webp", mimetype: "image/webp", kind: "image" };
  }
  return null;
}

/** The Bot API method a Matrix file goes out with: the one for its kind where Telegram takes the format. */
export function uploadMethodFor(
  kind: MediaKind,
  mimetype: string | undefined,
  bytes: number,
): "sendPhoto" | "sendVideo" | "sendAudio" | "sendVoice" | "sendDocument" {
  if (kind === "image" && /^image\/(jpeg|png|webp)$/.test(mimetype ?? "") && bytes <= MAX_PHOTO_BYTES)
    return "sendPhoto";
  if (kind === "video" && mimetype === "video/mp4") return "sendVideo";
  if (kind === "audio" && /^audio\/(mpeg|mp4|x-m4a)$/.test(mimetype ?? "")) return "sendAudio";
  // Matrix voice messages are Ogg Opus, which is what Telegram plays as a voice message.
  if (kind === "audio" && /^audio\/ogg(;|$)/.test(mimetype ?? "")) return "sendVoice";
  return "sendDocument";
}

export function inputFile(data: Uint8Array, filename: string, contentType: string): InputFile {
  return new InputFile(data, { filename, contentType });
}
