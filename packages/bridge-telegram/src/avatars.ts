// Ghosts' avatars: a Telegram user's current profile photo, uploaded to Matrix media once per photo. Telegram says
// nothing when a photo changes, so the bridge looks again when the user is active, at most once per `recheckMs`; the
// photo's unique id tells whether it is new, and the upload is remembered by it across restarts.

import type { Logger, MxcUri } from "bridge-core";
import { describeTelegramError, type TelegramBotApi } from "./bot-api.ts";
import { MAX_DOWNLOAD_BYTES } from "./telegram-files.ts";

export interface AvatarsOptions {
  api: TelegramBotApi;
  upload(data: Uint8Array, contentType: string, filename: string): Promise<MxcUri>;
  storage: { get(key: string): Promise<unknown>; put(key: string, value: unknown): Promise<void> };
  logger: Logger;
  recheckMs: number;
}

interface Remembered {
  photoId: string;
  url: MxcUri;
}

const avatarKey = (userId: number) => `avatar:${userId}`;

export class TelegramAvatars {
  private readonly options: AvatarsOptions;
  /** When each user's photo was last looked at, and what was found then. */
  private readonly checked = new Map<number, { at: number; url: MxcUri | undefined }>();

  constructor(options: AvatarsOptions) {
    this.options = options;
  }

  /** The user's avatar on Matrix, or undefined when they have none or it cannot be fetched now. */
  async avatarOf(userId: number): Promise<MxcUri | undefined> {
    const last = this.checked.get(userId);
    if (last !== undefined && Date.now() - last.at < this.options.recheckMs) return last.url;
    const url = await this.lookUp(userId).catch((err: unknown) => {
      this.options.logger.info("could not fetch a Telegram profile photo", {
        userId,
        error: describeTelegramError(err),
      });
      return last?.url;
    });
    this.checked.delete(userId);
    this.checked.set(userId, { at: Date.now(), url });
    if (this.checked.size > 10_000) this.checked.delete(this.checked.keys().next().value!);
    return url;
  }

  private async lookUp(userId: number): Promise<MxcUri | undefined> {
    const { api, storage } = this.options;
    const { photos } = await api.getUserProfilePhotos({ user_id: userId, limit: 1 });
    const sizes = photos[0];
    if (sizes === undefined || sizes.length === 0) return undefined;
    const largest = sizes.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    const remembered = (await storage.get(avatarKey(userId))) as Remembered | undefined;
    if (remembered?.photoId === largest.file_unique_id) return remembered.url;
    const { file_path } = await api.getFile({ file_id: largest.file_id });
    if (file_path === undefined) return remembered?.url;
    const data = await api.downloadFile(file_path, MAX_DOWNLOAD_BYTES);
    const url = await this.options.upload(data, "image/jpeg", "avatar.jpg");
    await storage.put(avatarKey(userId), { photoId: largest.file_unique_id, url } satisfies Remembered);
    return url;
  }
}
