// The emulator's guilds and roles in discord-api-types shapes, and the permissions Discord works out from them:
// the @everyone role's, plus every role's of the member, everything for the owner and for Administrator. Channel
// permission overwrites are not modelled: a member's permissions are the same in every channel of the guild.

import {
  type APIGuild,
  type APIRole,
  type APIUser,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildHubType,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  Locale,
  PermissionFlagsBits,
  type RoleFlags,
} from "discord-api-types/v10";

/** What @everyone may do in a new server, as Discord sets it: see, talk, react, attach, read back. */
export const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.EmbedLinks;

/** What the bridge's bot is given when it joins a server in the emulator: what its invite link asks for. */
export const BOT_PERMISSIONS =
  EVERYONE_PERMISSIONS |
  PermissionFlagsBits.ManageWebhooks |
  PermissionFlagsBits.ManageMessages |
  PermissionFlagsBits.KickMembers |
  PermissionFlagsBits.BanMembers |
  PermissionFlagsBits.ViewAuditLog;

const ALL_PERMISSIONS = (1n << 51n) - 1n;

export function role(fields: { id: string; name: string; permissions: bigint; position: number }): APIRole {
  return {
    id: fields.id,
    name: fields.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: fields.position,
    permissions: fields.permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

/** The permissions of a member with `roles` in `guild`. */
export function permissionsOf(guild: APIGuild, userId: string, roles: string[]): bigint {
  if (guild.owner_id === userId) return ALL_PERMISSIONS;
  let bits = 0n;
  for (const r of guild.roles) if (r.id === guild.id || roles.includes(r.id)) bits |= BigInt(r.permissions);
  return (bits & PermissionFlagsBits.Administrator) !== 0n ? ALL_PERMISSIONS : bits;
}

export function newGuild(id: string, name: string, owner: APIUser): APIGuild {
  return {
    id,
    name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: owner.id,
    region: "",
    afk_channel_id: null,
    afk_timeout: 60,
    verification_level: GuildVerificationLevel.None,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.Disabled,
    roles: [role({ id, name: "@everyone", permissions: EVERYONE_PERMISSIONS, position: 0 })],
    emojis: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: GuildPremiumTier.None,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    stickers: [],
    premium_progress_bar_enabled: false,
    hub_type: GuildHubType.Default,
    safety_alerts_channel_id: null,
    incidents_data: null,
  };
}
