// End-to-end encryption through a real IRC server (InspIRCd) with the bridge as admins run it, a process of its own
// that is killed with SIGKILL in the middle: a real encrypting client (matrix-js-sdk with its Rust crypto, as Element)
// talks to the bot and to an IRC user's ghost in encrypted DMs; after the kill and a new start the same devices, with
// the same ids, decrypt new messages without anyone verifying anything again, and the bot answers a key-share
// request for a message it encrypted before the kill. Synapse's database never holds a message's plaintext.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ClientEvent, type ReceivedToDeviceMessage } from "matrix-js-sdk";
import { BridgeProcess } from "../harness/bridge-process.ts";
import { type BridgeFiles, writeBridgeFiles } from "../harness/bridge-stack.ts";
import { EncryptedClient } from "../harness/encrypted-client.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { IRC_MODULE } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";
import { Synapse } from "../harness/synapse.ts";
import { eventsHolding, SYNAPSE_ENCRYPTION_CONFIG } from "../harness/synapse-encryption.ts";

describe("IRC bridge, end-to-end encrypted DMs, across a SIGKILL of the bridge process", () => {
  const runDir = useRunDir("irc-e2ee");
  let synapse: Synapse;
  let server: IrcServer;
  let files: BridgeFiles;
  let bridge: BridgeProcess;
  let alice: TestClient;
  let element: EncryptedClient;
  let carol: IrcTestClient;
  let botDm: string;
  let carolDm: string;
  let botDeviceBefore: string;
  const processes: BridgeProcess[] = [];
  const bot = () => `@ircbot:${synapse.serverName}`;
  const carolGhost = () => `@irc_carol:${synapse.serverName}`;
  const marker = (what: string) => `${what} ${randomUUID()}`;
  const startBridge = async () => {
    bridge = new BridgeProcess(
      ["-c", files.configPath, "-f", files.registrationPath],
      join(runDir.path, "bridge-processes.log"),
    );
    processes.push(bridge);
    await bridge.waitForOutput(/Bridge running/, 60_000);
  };
  const botDevices = async () => {
    const devices = await element.client.getCrypto()?.getUserDeviceInfo([bot()], true);
    return [...(devices?.get(bot())?.keys() ?? [])];
  };
  const pongs = () => element.events(botDm).filter((e) => String(e.content["body"]).startsWith("Pong!"));
  const bothWaysWithCarol = async (when: string) => {
    const toCarol = marker(`to carol ${when}`);
    await element.sendText(carolDm, toCarol);
    await carol.waitFor((e) => e.type === "privmsg" && e.nick === "alice[m]" && e.message === toCarol);
    const fromCarol = marker(`from carol ${when}`);
    carol.say("alice[m]", fromCarol);
    const seen = await element.waitForEvent(
      carolDm,
      (e) => e.content["body"] === fromCarol,
      "carol's message",
    );
    assert.equal(seen.sender, carolGhost());
    assert.equal(seen.encrypted, true);
    assert.equal(eventsHolding(synapse, toCarol), 0, "Synapse never held alice's message in the clear");
    assert.equal(eventsHolding(synapse, fromCarol), 0, "Synapse never held carol's message in the clear");
  };

  before(async () => {
    const dir = runDir.path;
    server = await InspircdServer.create({ runDir: dir });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    synapse = await Synapse.create({
      runDir: dir,
      appserviceRegistrationFiles: [join(dir, "irc.registration.yaml")],
      extraConfig: SYNAPSE_ENCRYPTION_CONFIG,
    });
    runDir.addTeardown((failed) => synapse.destroy(failed));
    files = await writeBridgeFiles({
      dir,
      synapseUrl: synapse.url,
      serverName: synapse.serverName,
      id: "irc",
      ghostTemplate: "irc_{id}",
      plugin: {
        module: IRC_MODULE,
        config: {
          server: { host: server.host, port: server.port, name: "Test IRC" },
          bot: { nick: "MatrixBridge" },
        },
      },
      extraConfig: { encryption: { allow: true } },
    });
    await synapse.start();
    runDir.addTeardown(async () => {
      for (const p of processes) await p.stop();
    });
    await startBridge();
    alice = await registerUser(synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    element = await EncryptedClient.start(alice);
    runDir.addTeardown(() => element.stop());
  });

  test("the registration asks for what encryption needs", async () => {
    const registration = readFileSync(files.registrationPath, "utf8");
    assert.match(registration, /org\.matrix\.msc3202: true/);
    assert.match(registration, /io\.element\.msc4190: true/);
    assert.match(registration, /receive_ephemeral: true/);
  });

  test("an encrypted DM with the bot: commands answered, encrypted", async () => {
    botDm = await element.createEncryptedDm(bot());
    // A message written before the bot's device is in the room was encrypted without it; the greeting says it is.
    const hello = await element.waitForEvent(
      botDm,
      (e) => e.sender === bot() && String(e.content["body"]).startsWith("Hello!"),
      "the bot's greeting",
    );
    assert.equal(hello.encrypted, true);
    await element.sendText(botDm, "ping");
    await element.waitUntil(
      async () => pongs().length === 1,
      () => "a Pong!",
    );
    assert.equal(pongs()[0]?.encrypted, true);
    [botDeviceBefore = ""] = await botDevices();
    assert.notEqual(botDeviceBefore, "");
  });

  test("an encrypted DM with an IRC user's ghost, both ways through InspIRCd", async () => {
    carolDm = await element.createEncryptedDm(carolGhost());
    await element.waitForEvent(
      carolDm,
      (e) => e.type === "m.room.member" && e.sender === carolGhost() && e.content["membership"] === "join",
      "carol's ghost joining",
    );
    await bothWaysWithCarol("before the kill");
  });

  test("killed with SIGKILL and started again: the same devices decrypt new messages", async () => {
    process.kill(bridge.pid, "SIGKILL");
    await bridge.waitForExit();
    await startBridge();
    assert.deepEqual(await botDevices(), [botDeviceBefore], "the bot kept its one device");
    await element.sendText(botDm, "ping");
    await element.waitUntil(
      async () => pongs().length === 2,
      () => "a second Pong! after the kill",
    );
    assert.equal(pongs()[1]?.encrypted, true);
    await bothWaysWithCarol("after the kill");
  });

  test("a key-share request after the restart, for a message from before the kill, is answered", async () => {
    const room = element.client.getRoom(botDm);
    const before = room
      ?.getLiveTimeline()
      .getEvents()
      .find((e) => String(e.getContent()["body"]).startsWith("Pong!"));
    const wire = before?.getWireContent();
    assert.ok(wire !== undefined && typeof wire["session_id"] === "string", "the first Pong! came encrypted");
    const forwarded = new Promise<ReceivedToDeviceMessage>((resolve) => {
      element.client.on(ClientEvent.ReceivedToDeviceMessage, (received) => {
        if (received.message.type === "m.forwarded_room_key" && received.message.sender === bot())
          resolve(received);
      });
    });
    const requestId = randomUUID();
    await alice.request("PUT", `/_matrix/client/v3/sendToDevice/m.room_key_request/${requestId}`, {
      messages: {
        [bot()]: {
          [botDeviceBefore]: {
            action: "request",
            requesting_device_id: element.deviceId,
            request_id: requestId,
            body: {
              algorithm: "m.megolm.v1.aes-sha2",
              room_id: botDm,
              sender_key: wire["sender_key"],
              session_id: wire["session_id"],
            },
          },
        },
      },
    });
    const received = await Promise.race([
      forwarded,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no forwarded room key")), 20_000)),
    ]);
    assert.equal(received.message.content["session_id"], wire["session_id"]);
    assert.ok(received.encryptionInfo !== null, "the key came encrypted to alice's device");
  });
});
