// The Discord demo (`./scripts/demo.sh discord`): a real Synapse and the project's Discord API emulator on 127.0.0.1
// (there is no Discord server one can run; discord.js speaks to the emulator exactly as to Discord), the Discord
// bridge started with its CLI as an admin would, and a Matrix user and a Discord user talking through it: the Matrix
// user's words reach Discord through the channel's webhook under their name, the Discord user's reach Matrix from
// their ghost. Everything started here is stopped when the demo ends; with --keep it stays up until Ctrl-C.

import { join } from "node:path";
import { BridgeProcess } from "../test/harness/bridge-process.ts";
import { writeBridgeFiles } from "../test/harness/bridge-stack.ts";
import { DISCORD_MODULE } from "../test/harness/discord/discord-bridge-stack.ts";
import { DiscordEmulator } from "../test/harness/discord/discord-emulator.ts";
import { registerUser, type TestClient } from "../test/harness/matrix-test-client.ts";
import { createRunDir } from "../test/harness/run-dir.ts";
import { Synapse } from "../test/harness/synapse.ts";

const keep = process.argv.includes("--keep");
const say = (line: string) => process.stdout.write(`${line}\n`);

const runDir = createRunDir("demo-discord");
let synapse: Synapse | undefined;
let discord: DiscordEmulator | undefined;
let bridge: BridgeProcess | undefined;
let alice: TestClient | undefined;
let failed = false;

async function shutdown(): Promise<void> {
  await alice?.close();
  await bridge?.stop();
  await synapse?.destroy(failed || keep);
  await discord?.stop();
  runDir.finish(failed);
}

try {
  discord = await DiscordEmulator.start({ botName: "Matrix bridge" });
  const carol = discord.createUser("carol", "Carol");
  const guild = discord.createGuild("Demo server", carol);
  const channel = discord.createChannel(guild, "general", "the demo channel");
  say(`Discord API emulator up at ${discord.apiUrl}: server "Demo server", #general, user carol.`);
  say("Starting Synapse (the first run installs it, about a minute)…");
  synapse = await Synapse.create({
    runDir: runDir.path,
    appserviceRegistrationFiles: [join(runDir.path, "discord.registration.yaml")],
  });
  const files = await writeBridgeFiles({
    dir: runDir.path,
    synapseUrl: synapse.url,
    serverName: synapse.serverName,
    id: "discord",
    plugin: {
      module: DISCORD_MODULE,
      config: { bot_token: discord.botToken, api_url: discord.apiUrl, cdn_url: discord.cdnUrl },
    },
    // The emulator serves Discord's files from 127.0.0.1, which a real deployment would refuse to fetch from.
    extraConfig: { media: { allow_private_addresses: true } },
  });
  await synapse.start();
  say(`Synapse up at ${synapse.url}.`);
  bridge = new BridgeProcess(
    ["-c", files.configPath, "-f", files.registrationPath],
    join(runDir.path, "bridge.out"),
  );
  await bridge.waitForOutput(/Bridge running/);
  say(`The Discord bridge is up at ${files.bridgeUrl} (log: ${files.logPath}).\n`);

  discord.say(channel.id, carol, "Hello from **Discord**!");
  say("Discord: <carol> Hello from **Discord**!");
  alice = await registerUser(synapse, "alice", { displayName: "Alice" });
  const alias = `#discord_${guild}_${channel.id}:${synapse.serverName}`;
  const room = await joinWhenReady(alice, alias);
  say(`Matrix:  ${alice.userId} joined ${alias}`);
  const heard = await alice.waitForEvent((e) => e.content["body"] === "Hello from Discord!", {
    roomId: room,
  });
  say(`Matrix:  <${heard.sender}> ${String(heard.content["formatted_body"] ?? heard.content["body"])}`);

  await alice.sendText(room, "Hello back from Matrix!");
  const reply = await discord.waitForMessage(
    channel.id,
    (m) => m.content === "Hello back from Matrix!",
    "it",
  );
  say(`Discord: <${reply.author.username} (webhook)> ${reply.content}`);

  if (keep) {
    say(`\nStill running. Matrix: ${synapse.url} as ${alice.userId} (access token ${alice.accessToken}).`);
    say("Press Ctrl-C to stop everything.");
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
  say("\nDemo finished.");
} catch (err) {
  failed = true;
  process.stderr.write(`Demo failed: ${(err as Error).stack ?? String(err)}\n`);
} finally {
  await shutdown();
  process.exit(failed ? 1 : 0);
}

/** The portal is made when Discord activity reaches the bridge; until then its alias may not resolve yet. */
async function joinWhenReady(client: TestClient, alias: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await client.join(alias);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
