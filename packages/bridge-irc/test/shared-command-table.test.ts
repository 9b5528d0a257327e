import assert from "node:assert/strict";
import { describe, it } from "node:test";
import IRC, { type Client } from "irc-framework";
import { shareCommandTable } from "../src/shared-command-table.ts";

/** irc-framework's per-client command table, which its typings leave out. */
const tableOf = (client: Client) =>
  (client as unknown as { command_handler: { handlers: Record<string, unknown> } }).command_handler.handlers;

describe("shared command table", () => {
  it("points every irc-framework client at one frozen table with the same handlers", () => {
    const first = new IRC.Client();
    const before = { ...tableOf(first) };
    const second = new IRC.Client();
    assert.equal(shareCommandTable(first), true);
    assert.equal(shareCommandTable(second), true);
    assert.equal(tableOf(first), tableOf(second));
    assert.ok(Object.isFrozen(tableOf(first)));
    assert.ok(Object.keys(before).length > 100, "irc-framework's handlers are in the table");
    for (const [command, handler] of Object.entries(before)) assert.equal(tableOf(first)[command], handler);
  });

  it("leaves a client whose table differs with its own", () => {
    const client = new IRC.Client();
    const own = tableOf(client);
    own["XEXTRA"] = () => undefined;
    assert.equal(shareCommandTable(client), false);
    assert.equal(tableOf(client), own);
  });

  it("a shared client still handles what the server sends", () => {
    const client = new IRC.Client();
    assert.equal(shareCommandTable(client), true);
    const seen: string[] = [];
    client.on("privmsg", (event: { nick: string; message: string }) =>
      seen.push(`${event.nick}: ${event.message}`),
    );
    // A generic numeric, whose handler is a closure irc-framework made for the first client that was shared.
    client.on("irc error", (event: { error: string; nick?: string }) =>
      seen.push(`${event.error} ${event.nick}`),
    );
    const handler = (client as unknown as { command_handler: { dispatch(message: unknown): void } })
      .command_handler;
    const line = (command: string, params: string[], nick = "") =>
      handler.dispatch({ command, params, tags: {}, prefix: "", nick, ident: "", hostname: "" });
    line("PRIVMSG", ["#chan", "hello"], "bob");
    line("401", ["alice", "carol", "No such nick"]);
    assert.deepEqual(seen, ["bob: hello", "no_such_nick carol"]);
  });
});
