// Kicks and bans, both ways. Discord → Matrix: a member who leaves a server leaves its portals, unless the audit log
// says a moderator kicked or banned them (the gateway reports the log entry beside the removal, in either order), in
// which case their ghost is kicked or banned in each of the server's portals, naming the moderator. Matrix → Discord:
// the core hands over kicks by Matrix users whose Discord account is linked; the bot carries one out when that
// account may kick (or ban) members of the server, outranks the target, and the bot itself may.

import { type MatrixKick, PermanentDeliveryError, type RemoteEvents, type RemoteRoomId } from "bridge-core";
import {
  AuditLogEvent,
  type Client,
  type Guild,
  type GuildAuditLogsEntry,
  type GuildMember,
  type PartialGuildMember,
  PermissionFlagsBits,
} from "discord.js";
import { parseChannelRoomId } from "./discord-ids.ts";
import type { DiscordPeople } from "./discord-people.ts";

/** How long a removal waits for its audit log entry before it counts as leaving. */
const AUDIT_WAIT_MS = 2_000;

type Removal = { ban: boolean; executorId: string | null; reason: string | null };

export class DiscordModeration {
  private readonly client: Client;
  private readonly people: DiscordPeople;
  private readonly remote: RemoteEvents;
  private readonly roomsOf: (guildId: string) => Promise<RemoteRoomId[]>;
  /** Audit entries seen before their removal, and removals waiting for their entry, by `<guild>/<user>`. */
  private readonly entries = new Map<string, Removal>();
  private readonly waiting = new Map<string, (removal: Removal) => void>();

  constructor(deps: {
    client: Client;
    people: DiscordPeople;
    remote: RemoteEvents;
    roomsOf(guildId: string): Promise<RemoteRoomId[]>;
  }) {
    this.client = deps.client;
    this.people = deps.people;
    this.remote = deps.remote;
    this.roomsOf = deps.roomsOf;
  }

  auditEntry(entry: GuildAuditLogsEntry, guild: Guild): void {
    const ban = entry.action === AuditLogEvent.MemberBanAdd;
    if ((!ban && entry.action !== AuditLogEvent.MemberKick) || entry.targetId === null) return;
    const key = `${guild.id}/${entry.targetId}`;
    const removal = { ban, executorId: entry.executorId, reason: entry.reason };
    const waiter = this.waiting.get(key);
    if (waiter !== undefined) waiter(removal);
    else {
      this.entries.set(key, removal);
      setTimeout(() => this.entries.delete(key), AUDIT_WAIT_MS * 5).unref();
    }
  }

  /** A member is gone from a server: a leave, or a kick or ban once its audit entry says so. */
  async memberRemoved(member: GuildMember | PartialGuildMember): Promise<void> {
    if (member.id === this.client.user?.id) return;
    const removal = await this.removalOf(`${member.guild.id}/${member.id}`);
    const target = member.partial
      ? await this.people.user(member.user)
      : await this.people.member(member as GuildMember);
    const executor =
      removal?.executorId != null ? await this.people.inGuild(member.guild, removal.executorId) : undefined;
    for (const roomId of await this.roomsOf(member.guild.id)) {
      if (removal === undefined || executor === undefined) {
        await this.remote.membership({ roomId, sender: target, membership: "leave" });
      } else {
        await this.remote.kick({
          roomId,
          sender: executor,
          target,
          ban: removal.ban,
          ...(removal.reason !== null && { reason: removal.reason }),
        });
      }
    }
  }

  private removalOf(key: string): Promise<Removal | undefined> {
    const seen = this.entries.get(key);
    if (seen !== undefined) {
      this.entries.delete(key);
      return Promise.resolve(seen);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, AUDIT_WAIT_MS);
      this.waiting.set(key, (removal) => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(removal);
      });
    });
  }

  /** A kick or ban from Matrix by a user whose Discord account is linked. */
  async handleKick(kick: MatrixKick): Promise<void> {
    const ids = parseChannelRoomId(kick.remoteRoomId);
    const guild = ids === null ? undefined : this.client.guilds.cache.get(ids.guildId);
    if (guild === undefined || kick.as.kind !== "puppet") return;
    const what = kick.ban ? "ban" : "kick";
    const permission = kick.ban ? PermissionFlagsBits.BanMembers : PermissionFlagsBits.KickMembers;
    const actor = await guild.members.fetch(kick.as.remoteUserId).catch(() => undefined);
    if (actor === undefined || !actor.permissions.has(permission)) {
      throw new PermanentDeliveryError(`your Discord account may not ${what} members of that server`);
    }
    if (guild.members.me?.permissions.has(permission) !== true) {
      throw new PermanentDeliveryError(`the bridge's Discord bot may not ${what} members of that server`);
    }
    const target = await guild.members.fetch(kick.target).catch(() => undefined);
    if (target !== undefined && !outranks(actor, target, guild)) {
      throw new PermanentDeliveryError(`your Discord account does not outrank ${target.displayName}`);
    }
    if (target !== undefined && !(kick.ban ? target.bannable : target.kickable)) {
      throw new PermanentDeliveryError(`the bridge's Discord bot does not outrank ${target.displayName}`);
    }
    const reason = kick.reason ?? `${what} from Matrix by ${kick.senderName}`;
    if (kick.ban) await guild.bans.create(kick.target, { reason });
    else if (target !== undefined) await target.kick(reason);
  }
}

function outranks(actor: GuildMember, target: GuildMember, guild: Guild): boolean {
  if (actor.id === guild.ownerId) return true;
  return target.id !== guild.ownerId && actor.roles.highest.comparePositionTo(target.roles.highest) > 0;
}
