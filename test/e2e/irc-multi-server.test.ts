// One IRC bridge in front of two real IRC servers at once (InspIRCd and ngIRCd) and a real Synapse: each server's
// channels are portals of their own under the server's key, messages cross both ways in each without leaking into
// the other, the same nick on both servers is two ghosts, and the bot's IRC commands name the server they act on.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RoomId } from "bridge-core";
import { type MultiServerIrcNetwork, withServer } from "bridge-irc";
import type { BridgeStack } from "../harness/bridge-stack.ts";
import { InspircdServer } from "../harness/irc/inspircd.ts";
import { connectIrcClient, type IrcTestClient } from "../harness/irc/irc-client.ts";
import { startMultiServerIrcBridgeStack } from "../harness/irc/multi-server-bridge-stack.ts";
import { NgircdServer } from "../harness/irc/ngircd.ts";
import { registerUser, type TestClient } from "../harness/matrix-test-client.ts";
import { useRunDir } from "../harness/run-dir.ts";

const INSP = "insp";
const NG = "ng";

describe("IRC bridge with InspIRCd and ngIRCd at once", () => {
  const runDir = useRunDir("irc-multi-server");
  let stack: BridgeStack<MultiServerIrcNetwork>;
  let alice: TestClient;
  /** A user called carol on each server. */
  let inspCarol: IrcTestClient;
  let ngCarol: IrcTestClient;
  let inspRoom: RoomId;
  let ngRoom: RoomId;
  const domain = () => stack.synapse.serverName;
  const alias = (key: string, channel: string) => `#irc_${withServer(key, channel)}:${domain()}`;
  const ghost = (key: string, nick: string) => `@irc_${withServer(key, nick)}:${domain()}`;
  const puppetNick = "alice[m]";

  const joinedMembers = async (roomId: RoomId) =>
    (
      await alice.request<{ joined: Record<string, { display_name?: string }> }>(
        "GET",
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`,
      )
    ).joined;
  const bodies = (roomId: RoomId) => alice.eventsSeen(roomId).map((e) => e.content["body"]);
  const saidOnIrc = (client: IrcTestClient) =>
    client.events.filter((e) => e.type === "privmsg" && e.nick === puppetNick).map((e) => e.message);

  before(async () => {
    const [insp, ng] = await Promise.all([
      InspircdServer.create({ runDir: runDir.path }),
      NgircdServer.create({ runDir: runDir.path }),
    ]);
    await Promise.all([insp.start(), ng.start()]);
    runDir.addTeardown((failed) => insp.destroy(failed));
    runDir.addTeardown((failed) => ng.destroy(failed));
    inspCarol = await connectIrcClient({ host: insp.host, port: insp.port, nick: "carol" });
    runDir.addTeardown(() => inspCarol.quit());
    ngCarol = await connectIrcClient({ host: ng.host, port: ng.port, nick: "carol" });
    runDir.addTeardown(() => ngCarol.quit());
    await Promise.all([inspCarol.join("#room"), ngCarol.join("#room")]);
    stack = await startMultiServerIrcBridgeStack({
      runDir: runDir.path,
      servers: [
        { key: INSP, server: insp },
        { key: NG, server: ng },
      ],
    });
    runDir.addTeardown((failed) => stack.stop(failed));
    alice = await registerUser(stack.synapse, "alice", { displayName: "Alice" });
    runDir.addTeardown(() => alice.close());
  });

  test("each server's channel is its own portal, under the server's key", async () => {
    assert.equal(alias(INSP, "#room"), `#irc_insp.#room:${domain()}`);
    inspRoom = await alice.join(alias(INSP, "#room"));
    ngRoom = await alice.join(alias(NG, "#room"));
    assert.notEqual(inspRoom, ngRoom);
    await inspCarol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === "#room");
    await ngCarol.waitFor((e) => e.type === "join" && e.nick === "MatrixBridge" && e.channel === "#room");
    const joined = (roomId: RoomId, userId: string) =>
      alice.waitForEvent(
        (e) => e.type === "m.room.member" && e.state_key === userId && e.content["membership"] === "join",
        { roomId },
      );
    await joined(inspRoom, ghost(INSP, "carol"));
    await joined(ngRoom, ghost(NG, "carol"));
  });

  test("IRC messages arrive in their own server's room only", async () => {
    inspCarol.say("#room", "hello from inspircd");
    ngCarol.say("#room", "hello from ngircd");
    await alice.waitForEvent(
      (e) => e.sender === ghost(INSP, "carol") && e.content["body"] === "hello from inspircd",
      { roomId: inspRoom },
    );
    await alice.waitForEvent(
      (e) => e.sender === ghost(NG, "carol") && e.content["body"] === "hello from ngircd",
      { roomId: ngRoom },
    );
    // Later lines from both servers have arrived too, so a stray copy would have by now.
    inspCarol.action("#room", "waves from inspircd");
    ngCarol.action("#room", "waves from ngircd");
    await alice.waitForEvent((e) => e.content["body"] === "waves from inspircd", { roomId: inspRoom });
    await alice.waitForEvent((e) => e.content["body"] === "waves from ngircd", { roomId: ngRoom });
    assert.ok(
      !bodies(inspRoom).some((b) => String(b).includes("ngircd")),
      "nothing of ngIRCd's in InspIRCd's room",
    );
    assert.ok(
      !bodies(ngRoom).some((b) => String(b).includes("inspircd")),
      "nothing of InspIRCd's in ngIRCd's room",
    );
  });

  test("Matrix messages reach their own server's channel only", async () => {
    await alice.sendText(inspRoom, "to inspircd");
    await alice.sendText(ngRoom, "to ngircd");
    await inspCarol.waitFor(
      (e) =>
        e.type === "privmsg" && e.channel === "#room" && e.nick === puppetNick && e.message === "to inspircd",
    );
    await ngCarol.waitFor(
      (e) =>
        e.type === "privmsg" && e.channel === "#room" && e.nick === puppetNick && e.message === "to ngircd",
    );
    await alice.sendText(inspRoom, "again to inspircd");
    await alice.sendText(ngRoom, "again to ngircd");
    await inspCarol.waitFor((e) => e.type === "privmsg" && e.message === "again to inspircd");
    await ngCarol.waitFor((e) => e.type === "privmsg" && e.message === "again to ngircd");
    assert.deepEqual(saidOnIrc(inspCarol), ["to inspircd", "again to inspircd"]);
    assert.deepEqual(saidOnIrc(ngCarol), ["to ngircd", "again to ngircd"]);
  });

  test("the same nick on the two servers is two Matrix users", async () => {
    const inspMembers = await joinedMembers(inspRoom);
    const ngMembers = await joinedMembers(ngRoom);
    assert.equal(inspMembers[ghost(INSP, "carol")]?.display_name, "carol");
    assert.equal(ngMembers[ghost(NG, "carol")]?.display_name, "carol");
    assert.equal(inspMembers[ghost(NG, "carol")], undefined);
    assert.equal(ngMembers[ghost(INSP, "carol")], undefined);

    // A private message comes from the ghost of its own server, and the answer goes back to that server.
    ngCarol.say(puppetNick, "psst from ngircd");
    const dm = await alice.waitForInvite((e) => e.sender === ghost(NG, "carol"));
    await alice.join(dm);
    await alice.waitForEvent((e) => e.content["body"] === "psst from ngircd", { roomId: dm });
    await alice.sendText(dm, "psst back");
    const reply = await ngCarol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "psst back",
    );
    assert.equal(reply.target, "carol");
    assert.ok(!inspCarol.events.some((e) => e.message === "psst back"));
  });

  test("the bot's IRC commands take the server's key first", async () => {
    const bot = stack.bridge.naming.botUserId;
    const dm = await alice.createDirectMessage(bot);
    await alice.waitForEvent((e) => e.sender === bot && String(e.content["body"]).startsWith("Hello"), {
      roomId: dm,
    });
    const reply = async (command: string) => {
      const since = alice.eventsSeen(dm).length;
      await alice.sendText(dm, command);
      const answer = await alice.waitForEvent(
        (e) =>
          e.sender === bot &&
          e.type === "m.room.message" &&
          alice.eventsSeen(dm).indexOf(e) >= since &&
          e.content["body"] !== command,
        { roomId: dm },
      );
      return String(answer.content["body"]);
    };
    assert.match(await reply("listrooms"), /Name the IRC server first: insp, ng\./);
    assert.ok((await reply("listrooms ng")).includes(`#room — ${alias(NG, "#room")}`));

    assert.match(await reply("nick ng alicia"), /You are now alicia on IRC/);
    await ngCarol.waitFor((e) => e.type === "nick" && e.nick === puppetNick && e.newNick === "alicia");
    await alice.sendText(inspRoom, "still alice[m] here");
    await inspCarol.waitFor(
      (e) => e.type === "privmsg" && e.nick === puppetNick && e.message === "still alice[m] here",
    );
    assert.ok(!inspCarol.events.some((e) => e.type === "nick"), "the nick changed on ngIRCd only");
  });
});
