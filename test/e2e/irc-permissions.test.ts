// The IRC bridge with a `bridge.permissions` section that leaves a local user out, and with an encrypted private
// chat, against a real InspIRCd and a real Synapse (federation cannot run here, so the user left out is local):
// - mallory, not listed, joins the portal and talks: no puppet connection is opened for her (the IRC side sees no
//   join and no message of hers; the puppets gauge counts only alice's), and she is told once why; alice, listed,
//   is bridged as always;
// - alice opens an encrypted DM with an IRC user's ghost, as Element does: the ghost says once that it cannot read
//   it and opens a chat without encryption, where what the IRC user writes arrives.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { RoomId } from "bridge-core";
import type { IrcNetwork } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { startIrcBridgeStack } from "../harness/irc/irc-bridge-stack.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import type { IrcServer } from "../harness/irc/server-process.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

describe("IRC bridge: permissions and encrypted private chats, with InspIRCd and Synapse", () => {
  const runDir = useRunDir("irc-permissions");
  let server: IrcServer;
  let stack: BridgeStack<IrcNetwork>;
  let alice: TestClient;
  let mallory: TestClient;
  let carol: IrcTestClient;
  let room: RoomId;
  const ghost = (nick: string) => `@irc_${nick}:${stack.synapse.serverName}`;
  const bot = () => stack.bridge.naming.botUserId;

  async function puppetsConnected(): Promise<number> {
    const text = await (await fetch(`${stack.files.bridgeUrl}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("bridge_puppets_connected{"));
    return Number(line?.split(" ").at(-1) ?? 0);
  }

  before(async () => {
    server = await InspircdServer.create({ runDir: runDir.path });
    await server.start();
    runDir.addTeardown((failed) => server.destroy(failed));
    carol = await connectIrcClient({ host: server.host, port: server.port, nick: "carol" });
    runDir.addTeardown(() => carol.quit());
    await carol.join("#lobby");
    stack = await startIrcBridgeStack({
      runDir: runDir.path,
      server,
      // The homeserver's own users are not all let in: the section lists alice only.
      extraConfig: { bridge: { permissions: { "@alice:localhost": "user" } } },
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
    mallory = await registerUser(stack.synapse, "mallory", { displayName: "Mallory" });
    runDir.addTeardown(() => mallory.close());
  });

  test("a user the permissions leave out gets no IRC connection and is told once; alice is bridged", async () => {
    room = await alice.join(`#irc_#lobby:${stack.synapse.serverName}`);
    await carol.waitFor((e) => e.type === "join" && e.nick === "alice[m]" && e.channel === "#lobby");
    const ircEventsBefore = carol.eventCount;

    await mallory.join(room);
    await mallory.sendText(room, "hello from mallory");
    await alice.sendText(room, "hello from alice");
    await carol.waitFor(
      (e) => e.type === "privmsg" && e.nick === "alice[m]" && e.message === "hello from alice",
    );
    const notice = await mallory.waitForEvent(
      (e) => e.sender === bot() && String(e.content["body"]).includes("not allowed to use this bridge"),
      { roomId: room },
    );
    assert.match(String(notice.content["body"]), /@mallory:localhost/);
    assert.match(String(notice.content["body"]), /no Test IRC connection is opened for you/);

    await mallory.sendText(room, "second try from mallory");
    await mallory.sendMessage(room, { msgtype: "m.emote", body: "waves" });
    await alice.sendText(room, "alice again");
    await carol.waitFor((e) => e.type === "privmsg" && e.nick === "alice[m]" && e.message === "alice again");
    await stack.bridge.queue.idle();
    await sleep(500);

    const fromMallory = carol.events
      .slice(ircEventsBefore)
      .filter((e) => e.nick.toLowerCase().includes("mallory") || String(e.message ?? "").includes("mallory"));
    assert.deepEqual(fromMallory, [], "IRC saw no join, message or action of mallory's");
    const notices = mallory
      .eventsSeen(room)
      .filter((e) => e.sender === bot() && String(e.content["body"]).includes("not allowed"));
    assert.equal(notices.length, 1, "told once");
    assert.equal(await puppetsConnected(), 1, "only alice's puppet is connected");
  });

  test("an encrypted DM with an IRC user's ghost: one notice from the ghost, and a chat without encryption", async () => {
    const dm = await alice.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [ghost("carol")],
      initial_state: [
        { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
      ],
    });
    const notice = await alice.waitForEvent(
      (e) => e.sender === ghost("carol") && String(e.content["body"]).includes("end-to-end encrypted"),
      { roomId: dm },
    );
    assert.match(String(notice.content["body"]), /nothing you write here reaches carol on Test IRC/);
    const ciphertext = {
      algorithm: "m.megolm.v1.aes-sha2",
      ciphertext: "AwgAEpAB",
      session_id: "s",
      device_id: "D",
    };
    await alice.sendEvent(dm, "m.room.encrypted", ciphertext);
    const last = await alice.sendEvent(dm, "m.room.encrypted", { ...ciphertext, ciphertext: "AwgBEpAB" });
    await alice.waitForEvent((e) => e.event_id === last, { roomId: dm });

    const fresh = await alice.waitForInvite((e) => e.sender === ghost("carol") && e.room_id !== dm);
    await alice.join(fresh);
    assert.equal(await alice.getState(fresh, "m.room.encryption"), null);
    carol.say("alice[m]", "psst, in the clear");
    await alice.waitForEvent(
      (e) => e.sender === ghost("carol") && e.content["body"] === "psst, in the clear",
      {
        roomId: fresh,
      },
    );
    await alice.sendText(fresh, "hi carol");
    await carol.waitFor((e) => e.type === "privmsg" && e.nick === "alice[m]" && e.message === "hi carol");
    await stack.bridge.queue.idle();
    const notices = alice
      .eventsSeen(dm)
      .filter((e) => e.sender === ghost("carol") && String(e.content["body"]).includes("encrypted"));
    assert.equal(notices.length, 1, "told once");
    assert.ok(
      !alice.eventsSeen(dm).some((e) => e.content["body"] === "psst, in the clear"),
      "not into the old room",
    );
  });
});
