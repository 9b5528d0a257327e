// irc-framework gives every client its own table from IRC command to handler (120 entries held in dictionary mode)
// and its own closure for each of its generic error numerics: about 9 KB per client, 9 MB for a thousand puppets, a
// third of what each connection costs in the heap (bench/README.md). Every handler is called with the client's own
// command handler as an argument and keeps no client of its own: most are the same function for every client, and
// the generic ones (commands/handlers/generics.js) are closures over module constants only, made anew per client.
// So a client whose table holds the same handlers uses one shared table instead. "The same" means the same
// function, or, for the irc-framework versions whose handlers were read for this (REVIEWED), a function with the
// same source. The shared table is frozen: were anything to add a handler to one client, irc-framework (strict
// mode) would throw rather than quietly change every client. A table that differs is left as it is.

import { createRequire } from "node:module";
import type { Client } from "irc-framework";

const REVIEWED = /^4\.14\./;
const reviewed = REVIEWED.test(
  (createRequire(import.meta.url)("irc-framework/package.json") as { version: string }).version,
);

type CommandTable = Record<string, unknown>;

/** The one part of irc-framework's client this reads: `client.command_handler.handlers`, not in its typings. */
interface WithCommandHandler {
  command_handler?: { handlers?: unknown };
}

let shared: CommandTable | undefined;

function sameEntries(table: CommandTable, other: CommandTable): boolean {
  const keys = Object.keys(table);
  if (keys.length === 0 || keys.length !== Object.keys(other).length) return false;
  return keys.every((key) => {
    const mine = table[key];
    const theirs = other[key];
    if (typeof mine !== "function" || typeof theirs !== "function") return false;
    return mine === theirs || (reviewed && mine.toString() === theirs.toString());
  });
}

/** Points the client at the shared command table when its own holds the same handlers; true when it now does. */
export function shareCommandTable(client: Client): boolean {
  const handler = (client as unknown as WithCommandHandler).command_handler;
  const table = handler?.handlers;
  if (handler === undefined || typeof table !== "object" || table === null) return false;
  const own = table as CommandTable;
  if (shared === undefined) {
    if (Object.keys(own).length === 0) return false;
    // A copy, so that the first client's own table is not frozen under it.
    shared = Object.freeze(Object.assign(Object.create(null) as CommandTable, own));
  }
  if (own !== shared && !sameEntries(own, shared)) return false;
  handler.handlers = shared;
  return true;
}
