import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerBuiltinCommands } from "../../src/commands/builtin.ts";
import { CommandRegistry } from "../../src/commands/registry.ts";
import { parseRoomId, parseUserId } from "../../src/ids.ts";
import { type Command, type CommandContext, CommandUsageError } from "../../src/network-commands.ts";

const ROOM = parseRoomId("!dm:example.org");
const SENDER = parseUserId("@alice:example.org");

/** A context whose replies are collected for the test to read. */
function context(isManagementRoom = true): {
  ctx: Omit<CommandContext, "args" | "text">;
  replies: string[];
} {
  const replies: string[] = [];
  return {
    replies,
    ctx: {
      roomId: ROOM,
      sender: SENDER,
      isManagementRoom,
      hideCommand: async () => undefined,
      openPortal: async (id) => assert.fail(`no command here opens a portal (${id})`),
      reply: async (text) => {
        replies.push(text);
      },
    },
  };
}

describe("CommandRegistry.parse", () => {
  const registry = new CommandRegistry("!");

  it("takes a prefixed command in any room", () => {
    assert.deepEqual(registry.parse("!ping", false), { name: "ping", args: [], text: "" });
    assert.deepEqual(registry.parse("!ping", true), { name: "ping", args: [], text: "" });
    assert.deepEqual(registry.parse("  !link  #chan   now ", false), {
      name: "link",
      args: ["#chan", "now"],
      text: "#chan   now ",
    });
  });

  it("takes an unprefixed command only in the management room", () => {
    assert.deepEqual(registry.parse("ping", true), { name: "ping", args: [], text: "" });
    assert.deepEqual(registry.parse("link #chan\tnow", true), {
      name: "link",
      args: ["#chan", "now"],
      text: "#chan\tnow",
    });
    assert.equal(registry.parse("ping", false), null);
    assert.equal(registry.parse("hello everyone", false), null);
    assert.equal(registry.parse("say !ping", false), null);
  });

  it("finds no command in an empty body or a bare prefix", () => {
    for (const body of ["", "   ", "!", "  !  ", "\n"]) {
      assert.equal(registry.parse(body, true), null, JSON.stringify(body));
      assert.equal(registry.parse(body, false), null, JSON.stringify(body));
    }
  });

  it("reads command names case-insensitively and leaves arguments as written", () => {
    assert.deepEqual(registry.parse("!PiNg", false), { name: "ping", args: [], text: "" });
    assert.deepEqual(registry.parse("HELP Link", true), { name: "help", args: ["Link"], text: "Link" });
  });

  it("gives the rest of the line exactly as typed, for passwords with spaces", () => {
    const parsed = registry.parse("login alice@example.org  pass  word\t ", true);
    assert.deepEqual(parsed, {
      name: "login",
      args: ["alice@example.org", "pass", "word"],
      text: "alice@example.org  pass  word\t ",
    });
    assert.equal(registry.parse('!login   a "quoted" \\ pw', false)?.text, 'a "quoted" \\ pw');
  });

  it("honours a longer prefix", () => {
    const bridge = new CommandRegistry("!irc ");
    assert.deepEqual(bridge.parse("!irc nick Bob", false), { name: "nick", args: ["Bob"], text: "Bob" });
    assert.equal(bridge.parse("!nick Bob", false), null);
  });
});

describe("CommandRegistry.run", () => {
  it("runs the command with its arguments and the room's context", async () => {
    const registry = new CommandRegistry("!");
    const seen: CommandContext[] = [];
    registry.register({
      name: "echo",
      summary: "repeat",
      run: async (ctx) => {
        seen.push(ctx);
        await ctx.reply(ctx.args.join(" "));
      },
    });
    const { ctx, replies } = context(false);
    await registry.run({ name: "echo", args: ["a", "b"], text: "a b" }, ctx);
    assert.deepEqual(replies, ["a b"]);
    assert.equal(seen[0]?.roomId, ROOM);
    assert.equal(seen[0]?.sender, SENDER);
    assert.equal(seen[0]?.isManagementRoom, false);
  });

  it("answers an unknown command by pointing at help", async () => {
    const registry = new CommandRegistry("!");
    const { ctx, replies } = context();
    await registry.run({ name: "frobnicate", args: [], text: "" }, ctx);
    assert.equal(replies.length, 1);
    assert.match(replies[0] ?? "", /Unknown command "frobnicate"/);
    assert.match(replies[0] ?? "", /!help/);
  });

  it("answers a usage error with its message and the command's usage", async () => {
    const registry = new CommandRegistry("!");
    registry.register({
      name: "link",
      usage: "<channel> [network]",
      summary: "bridge a channel here",
      run: async () => {
        throw new CommandUsageError("Which channel?");
      },
    });
    registry.register({
      name: "bare",
      summary: "takes nothing",
      run: async () => {
        throw new CommandUsageError("No arguments, please.");
      },
    });
    const { ctx, replies } = context();
    await registry.run({ name: "link", args: [], text: "" }, ctx);
    await registry.run({ name: "bare", args: ["x"], text: "x" }, ctx);
    assert.deepEqual(replies, [
      "Which channel?\nUsage: !link <channel> [network]",
      "No arguments, please.\nUsage: !bare",
    ]);
  });

  it("lets other errors through to the caller", async () => {
    const registry = new CommandRegistry("!");
    registry.register({
      name: "broken",
      summary: "fails",
      run: async () => {
        throw new Error("database unreachable");
      },
    });
    const { ctx, replies } = context();
    await assert.rejects(registry.run({ name: "broken", args: [], text: "" }, ctx), /database unreachable/);
    assert.deepEqual(replies, []);
  });

  it("refuses to register a name twice", () => {
    const registry = new CommandRegistry("!");
    const command: Command = { name: "ping", summary: "", run: async () => {} };
    registry.register(command);
    assert.throws(() => registry.register({ ...command }), /registered twice/);
  });
});

describe("builtin commands", () => {
  const startedAt = Date.now() - 42_000;
  const registry = new CommandRegistry("!");
  registerBuiltinCommands(registry, { networkName: "TestNet", startedAt });
  registry.register({
    name: "link",
    usage: "<channel>",
    summary: "bridge a channel here",
    run: async () => {},
  });

  it("help lists every command with its usage and summary, sorted", async () => {
    const { ctx, replies } = context();
    await registry.run({ name: "help", args: [], text: "" }, ctx);
    assert.equal(replies.length, 1);
    const lines = (replies[0] ?? "").split("\n");
    assert.match(lines[0] ?? "", /prefix is optional/);
    assert.deepEqual(lines.slice(1), [
      "",
      "General:",
      "!help — list the commands",
      "!link <channel> — bridge a channel here",
      "!ping — check that the bridge is alive",
    ]);
    assert.equal(registry.helpText(), replies[0]);
  });

  it("ping replies Pong with the network's name and the uptime", async () => {
    const { ctx, replies } = context();
    await registry.run({ name: "ping", args: [], text: "" }, ctx);
    assert.equal(replies.length, 1);
    assert.match(replies[0] ?? "", /^Pong! The TestNet bridge is up \(4[23] s\)\.$/);
  });

  it("ping refuses arguments with its usage", async () => {
    const { ctx, replies } = context();
    await registry.run({ name: "ping", args: ["now"], text: "now" }, ctx);
    assert.deepEqual(replies, ["ping takes no arguments.\nUsage: !ping"]);
  });

  it("parses and runs end to end from a message body", async () => {
    const { ctx, replies } = context(false);
    const parsed = registry.parse("!PING", false);
    assert.ok(parsed);
    await registry.run(parsed, ctx);
    assert.match(replies[0] ?? "", /^Pong!/);
  });
});
