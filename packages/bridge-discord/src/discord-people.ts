// Discord users and pictures as the core sees them: a user is their server nickname (else their global display
// name) and their avatar (the server's own avatar for them first). A picture (an avatar, a server icon, a sticker)
// is uploaded to Matrix once: its address holds Discord's hash of it, so the address names the picture, and the
// upload's handle is kept under it, in memory and in the plugin's storage across restarts.

import type { Logger, MxcUri, NetworkContext, RemoteUserInfo } from "bridge-core";
import type { Client, Guild, GuildMember, User } from "discord.js";
import { userId } from "./discord-ids.ts";

/** Discord serves avatars and icons at several sizes; this one is plenty for Matrix clients. */
const PICTURE_SIZE = 256;
const PICTURE_MAX_BYTES = 8 * 1024 * 1024;

export class DiscordPictures {
  private readonly uploaded = new Map<string, Promise<MxcUri | undefined>>();
  private readonly media: NetworkContext["media"];
  private readonly storage: NetworkContext["storage"];
  private readonly logger: Logger;

  constructor(deps: { media: NetworkContext["media"]; storage: NetworkContext["storage"]; logger: Logger }) {
    this.media = deps.media;
    this.storage = deps.storage;
    this.logger = deps.logger;
  }

  /** The Matrix handle of the picture at `url`; undefined when it cannot be fetched (the user keeps their old one). */
  upload(url: string): Promise<MxcUri | undefined> {
    const key = `picture:${new URL(url).pathname}`;
    let known = this.uploaded.get(key);
    if (known === undefined) {
      known = this.fetchAndUpload(key, url);
      this.uploaded.set(key, known);
      // A failure is not remembered: the next sighting tries again.
      void known.then((mxc) => mxc === undefined && this.uploaded.delete(key));
    }
    return known;
  }

  private async fetchAndUpload(key: string, url: string): Promise<MxcUri | undefined> {
    const stored = await this.storage.get(key);
    if (typeof stored === "string") return stored as MxcUri;
    try {
      const file = await this.media.fetchRemote(url, { maxBytes: PICTURE_MAX_BYTES });
      const mxc = await this.media.upload(file.data, file.contentType, file.filename);
      await this.storage.put(key, mxc);
      return mxc;
    } catch (err) {
      this.logger.info("a Discord picture could not be brought to Matrix", { error: String(err) });
      return undefined;
    }
  }

  /** The server's icon, as its portals' room avatar. */
  async guildIcon(guild: Guild): Promise<MxcUri | undefined> {
    const url = guild.iconURL({ extension: "png", size: PICTURE_SIZE });
    return url === null ? undefined : this.upload(url);
  }
}

export class DiscordPeople {
  private readonly client: Client;
  private readonly pictures: DiscordPictures;

  constructor(client: Client, pictures: DiscordPictures) {
    this.client = client;
    this.pictures = pictures;
  }

  async member(member: GuildMember): Promise<RemoteUserInfo> {
    const url =
      member.avatarURL({ extension: "png", size: PICTURE_SIZE }) ??
      member.user.avatarURL({ extension: "png", size: PICTURE_SIZE });
    return this.withAvatar({ id: userId(member.id), displayName: member.displayName }, url);
  }

  async user(user: User): Promise<RemoteUserInfo> {
    const url = user.avatarURL({ extension: "png", size: PICTURE_SIZE });
    return this.withAvatar({ id: userId(user.id), displayName: user.displayName }, url);
  }

  /** A user as a member of `guild` where they are one (their nickname there), else as themselves. */
  async inGuild(guild: Guild, id: string): Promise<RemoteUserInfo> {
    const member = guild.members.cache.get(id) ?? (await guild.members.fetch(id).catch(() => undefined));
    if (member !== undefined) return this.member(member);
    return this.user(await this.client.users.fetch(id));
  }

  /** The author of a message, with the nickname the message came with. */
  author(author: User, member: GuildMember | null): Promise<RemoteUserInfo> {
    return member !== null ? this.member(member) : this.user(author);
  }

  private async withAvatar(info: RemoteUserInfo, url: string | null): Promise<RemoteUserInfo> {
    const avatarUrl = url === null ? undefined : await this.pictures.upload(url);
    return avatarUrl === undefined ? info : { ...info, avatarUrl };
  }
}
