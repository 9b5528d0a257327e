// The local demo: a real Synapse and a real IRC server (InspIRCd) on 127.0.0.1, the IRC bridge started with its CLI
// exactly as an admin would, a Matrix user and an IRC user talking through it, and the bridge bot answering `!ping`
// in a DM. Everything started here is stopped by pid when the demo ends; with --keep it stays up until Ctrl-C so a
// Matrix client and an IRC client can join in.

import { join } from "node:path";
import { BridgeProcess } from "../test/harness/bridge-process.ts";
import { writeBridgeFiles } from "../test/harness/bridge-stack.ts";
import { InspircdServer } from "../test/harness/irc/inspircd.ts";
import { IRC_MODULE } from "../test/harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../test/harness/irc/irc-client.ts";
import { registerUser, type TestClient } from "../test/harness/matrix-test-client.ts";
import { createRunDir } from "../test/harness/run-dir.ts";
import { Synapse } from "../test/harness/synapse.ts";

const keep = process.argv.includes("--keep");
const say = (line: string) => process.stdout.write(`${line}\n`);

const runDir = createRunDir("demo");
let synapse: Synapse | undefined;
let ircd: InspircdServer | undefined;
let bridge: BridgeProcess | undefined;
let alice: TestClient | undefined;
let bob: IrcTestClient | undefined;
let failed = false;

async function shutdown(): Promise<void> {
  await bob?.quit().catch(() => undefined);
  await alice?.close();
  await bridge?.stop();
  await synapse?.destroy(failed || keep);
  await ircd?.destroy(failed || keep);
  runDir.finish(failed);
}

try {
  say("Starting InspIRCd and Synapse (the first run installs them, about a minute)…");
  ircd = await InspircdServer.create({ runDir: runDir.path });
  await ircd.start();
  say(`IRC server up at ${ircd.host}:${ircd.port}.`);
  synapse = await Synapse.create({
    runDir: runDir.path,
    appserviceRegistrationFiles: [join(runDir.path, "irc.registration.yaml")],
  });
  const files = await writeBridgeFiles({
    dir: runDir.path,
    synapseUrl: synapse.url,
    serverName: synapse.serverName,
    id: "irc",
    plugin: {
      module: IRC_MODULE,
      config: {
        server: { host: ircd.host, port: ircd.port, name: "Demo IRC" },
        bot: { nick: "MatrixBridge" },
      },
    },
  });
  say(
    `Generated ${files.registrationPath} with: matrix-bridge -r -c ${files.configPath} -f … -u ${files.bridgeUrl}`,
  );
  await synapse.start();
  say(`Synapse up at ${synapse.url}.`);
  bridge = new BridgeProcess(
    ["-c", files.configPath, "-f", files.registrationPath],
    join(runDir.path, "bridge.out"),
  );
  await bridge.waitForOutput(/Bridge running/);
  say(`The IRC bridge is up at ${files.bridgeUrl} (log: ${files.logPath}).\n`);

  bob = await connectIrcClient({ host: ircd.host, port: ircd.port, nick: "bob" });
  await bob.join("#demo");
  say("IRC:    bob joined #demo");
  alice = await registerUser(synapse, "alice", { displayName: "Alice" });
  const alias = `#irc_#demo:${synapse.serverName}`;
  const room = await alice.join(alias);
  say(`Matrix: ${alice.userId} joined ${alias}`);

  await alice.sendText(room, "Hello from Matrix!");
  const heard = await bob.waitFor((e) => e.type === "privmsg" && e.message === "Hello from Matrix!", 30_000);
  say(`IRC:    <${heard.nick}> ${heard.message}`);
  bob.say("#demo", "Hello back from IRC!");
  const reply = await alice.waitForEvent((e) => e.content["body"] === "Hello back from IRC!", {
    roomId: room,
  });
  say(`Matrix: <${reply.sender}> ${String(reply.content["body"])}`);

  const bot = `@ircbot:${synapse.serverName}`;
  const dm = await alice.createDirectMessage(bot);
  await alice.sendText(dm, "!ping");
  const pong = await alice.waitForEvent(
    (e) => e.sender === bot && String(e.content["body"]).startsWith("Pong"),
    {
      roomId: dm,
    },
  );
  say(`Matrix: ${bot} answers !ping in a DM: ${String(pong.content["body"])}`);

  if (keep) {
    say(`\nStill running. Matrix: ${synapse.url} as ${alice.userId} (access token ${alice.accessToken}).`);
    say(`IRC: ${ircd.host}:${ircd.port}, channel #demo. Press Ctrl-C to stop everything.`);
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
