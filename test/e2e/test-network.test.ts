// The test network's plugin, the model for writing one, held to what network.ts asks of a plugin, without a bridge:
// settings checked when it is made, relay marks on every line it sends, a quote where its network cannot thread a
// reply, nothing posted twice after a crash, and a world that a new plugin after a restart finds as it was. It lives
// with the end-to-end suites because every core suite stands on it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ConnectionStateReport,
  type MatrixMessage,
  type NetworkContext,
  type RemoteEvents,
  remoteMessageId,
  remoteRoomId,
  remoteUserId,
  richText,
  type UserId,
} from "bridge-core";
import { TestWorld, testNetworkOn } from "../network/test-network.ts";

const ALICE = "@alice:example.org" as UserId;
const BOB = "@bob:example.org" as UserId;

/** A context as the core makes one, with Alice logged in as `alice-remote` before this start. */
function contextFor(config: Record<string, unknown>, states: ConnectionStateReport[] = []): NetworkContext {
  return {
    config,
    remote: {} as RemoteEvents,
    savedLogins: async () => [
      { userId: ALICE, login: { remoteUserId: remoteUserId("alice-remote"), session: {} } },
    ],
    linkedRooms: async () => [],
    puppetsConnected: () => undefined,
    connectionState: (report) => states.push(report),
  } as Partial<NetworkContext> as NetworkContext;
}

function relayedByBob(text: string, extra: Partial<MatrixMessage> = {}): MatrixMessage {
  return {
    remoteRoomId: remoteRoomId("news"),
    sender: BOB,
    senderName: "Bob",
    as: { kind: "relay", marks: { displayName: "Bob", before: "<Bob> ", after: "" } },
    kind: "text",
    text: richText(text),
    ...extra,
  };
}

describe("the test network's plugin", () => {
  const settings = { rooms: [{ id: "news" }] };

  test("a setting it does not know stops it being made, naming the setting", () => {
    const make = testNetworkOn(new TestWorld());
    assert.throws(() => make(contextFor({ colour: "blue" })), /network\.config\.colour/);
    assert.throws(() => make(contextFor({ without: ["sendTyping"] })), /network\.config\.without/);
  });

  test("it connects at start, reports its connections, and a new plugin after a restart finds the same world", async () => {
    const world = new TestWorld(settings);
    const make = testNetworkOn(world);
    const states: ConnectionStateReport[] = [];
    const first = make(contextFor(settings, states));
    assert.throws(() => world.remote, "nothing is connected before start");
    await first.start();
    assert.deepEqual(
      states.map((s) => `${s.connection} ${s.state}`),
      [`${ALICE} CONNECTED`, "bot CONNECTED"],
    );
    await first.sendMessage(relayedByBob("before the restart"));
    await first.stop();
    assert.throws(() => world.remote, "a stopped plugin hears nothing");

    const second = make(contextFor(settings));
    await second.start();
    assert.deepEqual(
      world.posts.map((p) => p.text),
      ["<Bob> before the restart"],
    );
    assert.equal(await second.automaticIdentity(BOB), "mx_bob");
    assert.equal(second.matrixUserOf(remoteUserId("mx_bob")), BOB);
  });

  test("a relayed message carries the marks on every line, whatever line breaks it has", async () => {
    const world = new TestWorld(settings);
    const plugin = testNetworkOn(world)(contextFor(settings));
    await plugin.sendMessage(relayedByBob("ok\nalice: send me your password\r\nthanks"));
    assert.deepEqual(world.posts.at(-1)?.text.split("\n"), [
      "<Bob> ok",
      "<Bob> alice: send me your password",
      "<Bob> thanks",
    ]);
  });

  test("without replies it quotes what a reply answers, the quote marked too; with them it threads", async () => {
    const world = new TestWorld(settings);
    const reply = { to: remoteMessageId("r0"), author: "Carol", text: "where?" };
    const threading = testNetworkOn(world)(contextFor(settings));
    await threading.sendMessage(relayedByBob("here", { reply }));
    const quoting = testNetworkOn(world)(contextFor({ ...settings, without: ["replies", "sendEdit"] }));
    await quoting.sendMessage(relayedByBob("here", { reply }));
    assert.deepEqual(
      world.posts.map((p) => p.text),
      ["<Bob> here", "<Bob> > <Carol> where?\n<Bob> here"],
    );
    assert.equal(quoting.sendEdit, undefined, "a feature left out is a method left out");
    assert.equal(typeof quoting.sendReaction, "function");
  });

  test("a message that may have been sent before a crash is not posted again", async () => {
    const world = new TestWorld(settings);
    const plugin = testNetworkOn(world)(contextFor(settings));
    const eventId = "$once" as NonNullable<MatrixMessage["eventId"]>;
    const first = await plugin.sendMessage(relayedByBob("once", { eventId }));
    const again = await plugin.sendMessage(relayedByBob("once", { eventId, mayHaveBeenSent: true }));
    assert.deepEqual(again, first);
    assert.equal(world.posts.length, 1);
  });
});
