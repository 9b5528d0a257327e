// The `matrix-bridge` command as an admin uses it, against a real Synapse: `-r` writes a registration Synapse loads,
// `-c … -f … -p …` runs a bridge whose bot answers in a DM, SIGTERM stops it cleanly, and the mistakes admins make
// (a URL the homeserver cannot reach, a broken config) end the process with a message that says what to fix.

import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import { BridgeProcess } from "../harness/bridge-process.ts";
import { type BridgeFiles, writeBridgeFiles } from "../harness/bridge-stack.ts";
import { freePort } from "../harness/free-port.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { Synapse } from "../harness/synapse.ts";

describe("the matrix-bridge command with a real Synapse", () => {
  const runDir = useRunDir("cli");
  let synapse: Synapse;
  let good: BridgeFiles;
  let unreachable: BridgeFiles;
  let unreachableUrl: string;
  let alice: TestClient;
  const processes: BridgeProcess[] = [];
  const startBridge = (args: string[]) => {
    const bridge = new BridgeProcess(args, join(runDir.path, "bridge-processes.log"));
    processes.push(bridge);
    return bridge;
  };

  before(async () => {
    const dir = runDir.path;
    synapse = await Synapse.create({
      runDir: dir,
      appserviceRegistrationFiles: [
        join(dir, "testnet.registration.yaml"),
        join(dir, "deaf.registration.yaml"),
      ],
    });
    runDir.addTeardown((failed) => synapse.destroy(failed));
    runDir.addTeardown(async () => {
      for (const p of processes) await p.stop();
    });
    const common = { dir, synapseUrl: synapse.url, serverName: synapse.serverName };
    good = await writeBridgeFiles(common);
    // Registered with a URL where nothing listens: the homeserver will never reach this bridge.
    unreachableUrl = `http://127.0.0.1:${await freePort()}`;
    unreachable = await writeBridgeFiles({
      ...common,
      id: "deaf",
      ghostTemplate: "deaf_{id}",
      registrationUrl: unreachableUrl,
    });
    await synapse.start();
    alice = await registerUser(synapse, "alice");
    runDir.addTeardown(() => alice.close());
  });

  test("-r writes a registration with fresh tokens, exclusive namespaces and ephemeral events", () => {
    const registration = parse(readFileSync(good.registrationPath, "utf8"));
    assert.equal(registration.id, "testnet");
    assert.equal(registration.url, good.bridgeUrl);
    assert.match(registration.as_token, /^[0-9a-f]{64}$/);
    assert.match(registration.hs_token, /^[0-9a-f]{64}$/);
    assert.notEqual(registration.as_token, registration.hs_token);
    assert.equal(registration.sender_localpart, "testnetbot");
    assert.ok(registration.namespaces.users.every((ns: { exclusive: boolean }) => ns.exclusive));
    assert.ok(
      registration.namespaces.users.some(
        (ns: { regex: string }) => ns.regex === "^@testnet_[^:]+:localhost$",
      ),
    );
    assert.ok(
      registration.namespaces.aliases.some(
        (ns: { regex: string }) => ns.regex === "^#testnet_[^:]+:localhost$",
      ),
    );
    assert.equal(registration.rate_limited, false);
    assert.deepEqual(registration.protocols, ["testnet"]);
    assert.equal(registration.receive_ephemeral, true);
    assert.equal(statSync(good.registrationPath).mode & 0o777, 0o600, "the file holds secrets");
  });

  test("run with -c -f -p, the bot answers in a DM, and SIGTERM stops the bridge cleanly", async () => {
    const bridge = startBridge([
      "-c",
      good.configPath,
      "-f",
      good.registrationPath,
      "-p",
      String(good.bridgePort),
    ]);
    await bridge.waitForOutput(/Bridge running/);
    const bot = `@testnetbot:${synapse.serverName}`;
    const dm = await alice.createDirectMessage(bot);
    await alice.sendText(dm, "!ping");
    await alice.waitForEvent((e) => e.sender === bot && String(e.content["body"]).startsWith("Pong"), {
      roomId: dm,
    });
    process.kill(bridge.pid, "SIGTERM");
    const exit = await bridge.waitForExit(15_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    const log = readFileSync(good.logPath, "utf8");
    assert.match(log, /"bridge stopped"/);
    const registration = parse(readFileSync(good.registrationPath, "utf8"));
    assert.ok(
      !log.includes(registration.as_token) && !log.includes(registration.hs_token),
      "no token in the log",
    );
  });

  test("a bridge the homeserver cannot reach exits and names the URL that failed", async () => {
    const bridge = startBridge(["-c", unreachable.configPath, "-f", unreachable.registrationPath]);
    const exit = await bridge.waitForExit(60_000);
    assert.equal(exit.code, 1);
    assert.match(bridge.text, /Homeserver ping failed/);
    assert.ok(bridge.text.includes(unreachableUrl), `the message names ${unreachableUrl}:\n${bridge.text}`);
    assert.match(bridge.text, /bind_address|listens/);
  });

  test("a broken config exits with the key and the line", async () => {
    const broken = join(runDir.path, "broken.config.yaml");
    const text = readFileSync(good.configPath, "utf8").replace(/port: \d+/, "port: not-a-port");
    writeFileSync(broken, `${text}unknown_section: {}\n`);
    const bridge = startBridge(["-c", broken, "-f", good.registrationPath]);
    const exit = await bridge.waitForExit();
    assert.equal(exit.code, 1);
    assert.match(bridge.text, /broken\.config\.yaml:\d+: appservice\.port: /);
    assert.match(bridge.text, /broken\.config\.yaml:\d+: unknown_section: unknown key/);
  });

  test("Synapse gives the bridge its own namespace and nothing on servers whose name starts like its own", async () => {
    // Synapse answers an application service acting as a user outside its namespaces "cannot masquerade", and one
    // inside them that does not exist (yet) "has not registered": which of the two says whether the id is claimed.
    const { as_token: token } = parse(readFileSync(good.registrationPath, "utf8")) as { as_token: string };
    const whoami = async (userId: string) => {
      const url = `${synapse.url}/_matrix/client/v3/account/whoami?user_id=${encodeURIComponent(userId)}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      return {
        status: response.status,
        error: String(((await response.json()) as { error?: unknown }).error),
      };
    };
    const ghost = await whoami(`@testnet_x:${synapse.serverName}`);
    assert.equal(ghost.status, 403);
    assert.match(ghost.error, /has not registered/, "the bridge's own ghost ids are its own");
    for (const outside of [
      `@testnet_x:${synapse.serverName}.evil`,
      `@testnet_x:${synapse.serverName}.evil.net`,
      `@alice:${synapse.serverName}`,
    ]) {
      const answer = await whoami(outside);
      assert.equal(answer.status, 403, outside);
      assert.match(answer.error, /cannot masquerade/, `${outside} is not the bridge's`);
    }
  });

  test("a ghost template without a fixed prefix is a config error with the key and the line", async () => {
    const greedy = join(runDir.path, "greedy.config.yaml");
    const text = readFileSync(good.configPath, "utf8");
    assert.match(text, /^network:\n/m);
    writeFileSync(greedy, text.replace(/^network:\n/m, 'network:\n  ghost_template: "{id}"\n'));
    const bridge = startBridge([
      "-r",
      "-c",
      greedy,
      "-f",
      join(runDir.path, "greedy.yaml"),
      "-u",
      good.bridgeUrl,
    ]);
    const exit = await bridge.waitForExit();
    assert.equal(exit.code, 1);
    assert.match(
      bridge.text,
      /greedy\.config\.yaml:\d+: network\.ghost_template: expected a fixed prefix before \{id\}/,
    );
  });

  test("-r without -u is a usage error", async () => {
    const bridge = startBridge(["-r", "-c", good.configPath, "-f", join(runDir.path, "x.yaml")]);
    const exit = await bridge.waitForExit();
    assert.equal(exit.code, 2);
    assert.match(bridge.text, /-u/);
  });
});
