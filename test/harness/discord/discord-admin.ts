// What a test does to the emulator's servers as their people would, beside talking (discord-emulator.ts): roles and
// their permissions, avatars, server icons, channel names and topics, threads, and moderators kicking and banning.
// Each change is made in the model and sent through the gateway as Discord sends it.

import { createHash } from "node:crypto";
import { type APIThreadChannel, type APIUser, GatewayDispatchEvents } from "discord-api-types/v10";
import type { DiscordRest } from "./discord-rest.ts";
import { role } from "./discord-shapes.ts";
import type { DiscordState, GatewayEvent } from "./discord-state.ts";

export class DiscordAdmin {
  private readonly state: DiscordState;
  private readonly rest: DiscordRest;
  private readonly send: (event: GatewayEvent) => void;

  constructor(state: DiscordState, rest: DiscordRest, send: (event: GatewayEvent) => void) {
    this.state = state;
    this.rest = rest;
    this.send = send;
  }

  /** A role with these permissions, placed above every other; returns its id. */
  createRole(guildId: string, name: string, permissions: bigint): string {
    const guild = this.state.guild(guildId).guild;
    const made = role({ id: this.state.snowflake(), name, permissions, position: guild.roles.length });
    guild.roles.push(made);
    this.send({ t: GatewayDispatchEvents.GuildRoleCreate, d: { guild_id: guildId, role: made } });
    return made.id;
  }

  setRolePermissions(guildId: string, roleId: string, permissions: bigint): void {
    const found = this.state.guild(guildId).guild.roles.find((r) => r.id === roleId);
    if (found === undefined) throw new Error(`no role ${roleId}`);
    found.permissions = permissions.toString();
    this.send({ t: GatewayDispatchEvents.GuildRoleUpdate, d: { guild_id: guildId, role: found } });
  }

  giveRole(guildId: string, userId: string, roleId: string): void {
    const member = this.state.member(guildId, userId);
    member.roles.push(roleId);
    this.send({ t: GatewayDispatchEvents.GuildMemberUpdate, d: { ...member, guild_id: guildId } });
  }

  /** The id of the role the bot got when it joined (what its invite link asks for). */
  botRole(guildId: string, botId: string): string {
    const id = this.state.member(guildId, botId).roles[0];
    if (id === undefined) throw new Error("the bot has no role");
    return id;
  }

  /** A new avatar for the user, served from the CDN; each server the user is in reports the member's update. */
  setAvatar(user: APIUser, png: Uint8Array): void {
    user.avatar = this.picture(`avatars/${user.id}`, png);
    for (const record of this.state.guilds.values()) {
      const member = record.members.get(user.id);
      if (member === undefined) continue;
      member.user = user;
      this.send({ t: GatewayDispatchEvents.GuildMemberUpdate, d: { ...member, guild_id: record.guild.id } });
    }
  }

  setGuildIcon(guildId: string, png: Uint8Array): void {
    const { guild } = this.state.guild(guildId);
    guild.icon = this.picture(`icons/${guildId}`, png);
    this.send({ t: GatewayDispatchEvents.GuildUpdate, d: guild });
  }

  /** Stores a picture on the CDN under `<folder>/<hash>.png` and returns the hash, as Discord names pictures. */
  private picture(folder: string, png: Uint8Array): string {
    const hash = createHash("sha256").update(png).digest("hex").slice(0, 32);
    this.state.files.set(`/cdn/${folder}/${hash}.png`, { data: png, contentType: "image/png" });
    return hash;
  }

  /** A sticker served from the CDN, for `say(…, { stickers })`. */
  addSticker(name: string, png: Uint8Array): { id: string; name: string; format_type: 1 } {
    const id = this.state.snowflake();
    this.state.files.set(`/cdn/stickers/${id}.png`, { data: png, contentType: "image/png" });
    return { id, name, format_type: 1 };
  }

  /** A custom emoji of the server, its picture on the CDN; returns it as `react` takes it (`name:id`). */
  addEmoji(guildId: string, name: string, png: Uint8Array): string {
    this.state.guild(guildId);
    const id = this.state.snowflake();
    this.state.files.set(`/cdn/emojis/${id}.png`, { data: png, contentType: "image/png" });
    return `${name}:${id}`;
  }

  updateChannel(channelId: string, fields: { name?: string; topic?: string }): void {
    const { channel } = this.state.channel(channelId);
    if (fields.name !== undefined) channel.name = fields.name;
    if (fields.topic !== undefined && "topic" in channel) channel.topic = fields.topic;
    this.send({ t: GatewayDispatchEvents.ChannelUpdate, d: channel });
  }

  /** `owner` starts a thread in a channel, from one of its messages when given (the thread then has its id). */
  createThread(parentId: string, name: string, owner: APIUser, fromMessage?: string): APIThreadChannel {
    const thread = this.state.addThread(parentId, name, owner, fromMessage);
    this.send({ t: GatewayDispatchEvents.ThreadCreate, d: { ...thread, newly_created: true } });
    return thread;
  }

  /** A moderator kicks (or bans) a member: the removal, then the audit log entry naming the moderator. */
  remove(
    guildId: string,
    moderator: APIUser,
    user: APIUser,
    options: { ban?: boolean; reason?: string } = {},
  ) {
    this.rest.kick(guildId, moderator.id, user.id, options.reason, options.ban === true);
  }

  isMember(guildId: string, userId: string): boolean {
    return this.state.guild(guildId).members.has(userId);
  }

  /** Whether the user is banned from the guild. */
  isBanned(guildId: string, userId: string): boolean {
    return this.state.guild(guildId).bans.has(userId);
  }
}
