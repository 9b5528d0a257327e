// The local demo: a real Synapse on 127.0.0.1, the bridge started with its CLI exactly as an admin would, and a
// Matrix user who opens a DM with the bridge bot and asks it for `!ping`. Everything started here is stopped by pid
// when the demo ends; with --keep it stays up until Ctrl-C so a Matrix client can log in and look around.

import { join } from "node:path";
import { BridgeProcess } from "../test/harness/bridge-process.ts";
import { writeBridgeFiles } from "../test/harness/bridge-stack.ts";
import { registerUser } from "../test/harness/matrix-test-client.ts";
import { createRunDir } from "../test/harness/run-dir.ts";
import { Synapse } from "../test/harness/synapse.ts";

const keep = process.argv.includes("--keep");
const say = (line: string) => process.stdout.write(`${line}\n`);

const runDir = createRunDir("demo");
let synapse: Synapse | undefined;
let bridge: BridgeProcess | undefined;
let failed = false;

async function shutdown(): Promise<void> {
  await bridge?.stop();
  await synapse?.destroy(failed || keep);
  runDir.finish(failed);
}

try {
  say("Starting Synapse (the first run installs it into a cached virtualenv, about a minute)…");
  synapse = await Synapse.create({
    runDir: runDir.path,
    appserviceRegistrationFiles: [join(runDir.path, "testnet.registration.yaml")],
  });
  const files = await writeBridgeFiles({
    dir: runDir.path,
    synapseUrl: synapse.url,
    serverName: synapse.serverName,
  });
  say(
    `Generated ${files.registrationPath} with: matrix-bridge -r -c ${files.configPath} -f … -u ${files.bridgeUrl}`,
  );
  await synapse.start();
  say(`Synapse is up at ${synapse.url}.`);

  bridge = new BridgeProcess(
    ["-c", files.configPath, "-f", files.registrationPath],
    join(runDir.path, "bridge.out"),
  );
  await bridge.waitForOutput(/Bridge running/);
  say(`The bridge is up at ${files.bridgeUrl} (log: ${files.logPath}).`);

  const alice = await registerUser(synapse, "alice", { displayName: "Alice" });
  const bot = `@testnetbot:${synapse.serverName}`;
  const dm = await alice.createDirectMessage(bot);
  say(`${alice.userId} opened a DM with ${bot} and says: !ping`);
  await alice.sendText(dm, "!ping");
  const reply = await alice.waitForEvent(
    (e) => e.sender === bot && String(e.content["body"]).startsWith("Pong"),
    {
      roomId: dm,
    },
  );
  say(`${bot} answers: ${String(reply.content["body"])}`);
  await alice.close();

  if (keep) {
    say(`\nStill running. Log in at ${synapse.url} as ${alice.userId} (access token ${alice.accessToken}).`);
    say("Press Ctrl-C to stop everything.");
    await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  }
  say("Demo finished.");
} catch (err) {
  failed = true;
  process.stderr.write(`Demo failed: ${(err as Error).stack ?? String(err)}\n`);
} finally {
  await shutdown();
  process.exit(failed ? 1 : 0);
}
