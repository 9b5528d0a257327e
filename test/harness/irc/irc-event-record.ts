// What the IRC test client records: irc-framework's events flattened into one shape tests can match on, and how
// they read in a timeout message.

import type { EventPayload } from "./irc-framework.ts";

export type IrcEventType =
  | "privmsg"
  | "action"
  | "notice"
  | "ctcp"
  | "join"
  | "part"
  | "quit"
  | "kick"
  | "nick"
  | "topic"
  | "mode"
  | "invite"
  | "names"
  | "loggedin"
  | "error";

/** One received event, flattened from irc-framework's payloads into the fields tests look at. */
export interface IrcEvent {
  type: IrcEventType;
  /** Who caused it: a nick, or the server name (notices, server modes). */
  nick: string;
  /** Messages and modes: where they went, a channel or this client's nick. */
  target?: string;
  /** Events about one channel; also set for channel messages. */
  channel?: string;
  /** Message text, or the reason of a part, quit, kick or error, or a topic. */
  message?: string;
  /** For "nick". */
  newNick?: string;
  /** For "kick". */
  kicked?: string;
  /** For "mode", e.g. ["+o", "alice"]. */
  modes?: string[];
  /** For "loggedin", and messages tagged with an account. */
  account?: string;
  /** For "error": irc-framework's name for it, e.g. "nick_in_use" or "banned_from_channel". */
  error?: string;
  tags: Record<string, string>;
  /** When this client received it (ms since the epoch). */
  receivedAt: number;
  /** irc-framework's own event object, for anything not flattened here. */
  payload: EventPayload;
}

/** Event names irc-framework emits, and what the harness calls them. */
export const RECORDED: ReadonlyArray<[string, IrcEventType]> = [
  ["privmsg", "privmsg"],
  ["action", "action"],
  ["notice", "notice"],
  ["ctcp request", "ctcp"],
  ["join", "join"],
  ["part", "part"],
  ["quit", "quit"],
  ["kick", "kick"],
  ["nick", "nick"],
  ["topic", "topic"],
  ["mode", "mode"],
  ["invite", "invite"],
  ["userlist", "names"],
  ["loggedin", "loggedin"],
  ["irc error", "error"],
  ["nick in use", "error"],
  ["nick invalid", "error"],
  ["sasl failed", "error"],
];

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function flatten(type: IrcEventType, name: string, payload: EventPayload, ownNick: string): IrcEvent {
  const tags: Record<string, string> = {};
  const rawTags = payload["tags"];
  if (typeof rawTags === "object" && rawTags !== null) {
    for (const [key, value] of Object.entries(rawTags)) tags[key] = String(value);
  }
  const event: IrcEvent = {
    type,
    nick: text(payload["nick"]) ?? "",
    tags,
    receivedAt: Date.now(),
    payload,
  };
  const target = text(payload["target"]);
  if (target !== undefined) event.target = target;
  const channel = text(payload["channel"]) ?? (target && /^[#&!+]/.test(target) ? target : undefined);
  if (channel !== undefined) event.channel = channel;
  const message = text(payload["message"]) ?? text(payload["topic"]) ?? text(payload["reason"]);
  if (message !== undefined) event.message = message;
  const account = text(payload["account"]);
  if (account !== undefined) event.account = account;
  switch (type) {
    case "nick":
      event.newNick = text(payload["new_nick"]) ?? "";
      break;
    case "kick":
      event.kicked = text(payload["kicked"]) ?? "";
      break;
    case "mode":
      event.modes = modeWords(payload["modes"]);
      break;
    case "ctcp":
      event.message = text(payload["message"]) ?? "";
      break;
    case "invite":
      event.target = text(payload["invited"]) ?? ownNick;
      break;
    case "error":
      event.error =
        name === "nick in use"
          ? "nick_in_use"
          : name === "nick invalid"
            ? "nick_invalid"
            : name === "sasl failed"
              ? `sasl_${text(payload["reason"]) ?? "failed"}`
              : (text(payload["error"]) ?? "unknown");
      break;
    default:
      break;
  }
  return event;
}

/** irc-framework's mode list ([{ mode: "+o", param: "alice" }]) as the words of a MODE line. */
function modeWords(modes: unknown): string[] {
  if (!Array.isArray(modes)) return [];
  const words: string[] = [];
  for (const entry of modes) {
    if (typeof entry !== "object" || entry === null) continue;
    const mode = text((entry as Record<string, unknown>)["mode"]);
    const param = text((entry as Record<string, unknown>)["param"]);
    if (mode !== undefined) words.push(mode);
    if (param !== undefined) words.push(param);
  }
  return words;
}

export function describeEvent(event: IrcEvent): string {
  const parts: string[] = [event.type];
  if (event.channel ?? event.target) parts.push(event.channel ?? event.target ?? "");
  if (event.nick) parts.push(`<${event.nick}>`);
  if (event.newNick) parts.push(`-> ${event.newNick}`);
  if (event.kicked) parts.push(`kicked ${event.kicked}`);
  if (event.modes?.length) parts.push(event.modes.join(" "));
  if (event.account) parts.push(`account=${event.account}`);
  if (event.error) parts.push(`error=${event.error}`);
  if (event.message !== undefined) parts.push(JSON.stringify(event.message));
  return parts.join(" ");
}
