// The core scenarios every network's bridge must pass on every supported homeserver: messages both ways in a portal,
// then a restart of the bridge and a restart of the homeserver, each followed by messages both ways that are counted
// for loss, repeats and order (test/harness/tally.ts). A suite sets up its network, its remote user and the portal
// (joined by alias), then registers these tests with an adapter that speaks its network's side.

import { type TestContext, test } from "node:test";
import type { NetworkPlugin, RoomId } from "bridge-core";
import type { BridgeStack } from "./bridge-stack.ts";
import type { TestClient } from "./matrix-test-client.ts";
import { tally, until } from "./tally.ts";

export interface CoreScenarioSides {
  /** "IRC", "XMPP", … for test names. */
  network: string;
  stack(): BridgeStack<NetworkPlugin>;
  alice(): TestClient;
  room(): RoomId;
  /** The remote user says `body` in the bridged room. */
  sayRemote(body: string): Promise<void>;
  /** What the remote side has seen from the Matrix user in the room, in order of arrival. */
  seenRemote(): Promise<string[]>;
  /** The remote user's ghost. */
  remoteGhost(): string;
}

const COUNT = 10;
const WAIT_MS = 60_000;

/** Registers the core tests; call it inside the suite's `describe`, after the test that made the portal. */
export function coreScenarios(sides: CoreScenarioSides): void {
  const fromGhost = () =>
    sides
      .alice()
      .eventsSeen(sides.room())
      .filter((e) => e.type === "m.room.message" && e.sender === sides.remoteGhost())
      .map((e) => String(e.content["body"]));

  async function bothWays(t: TestContext, label: string): Promise<void> {
    const tag = label.replace(/\W+/g, "-");
    const toRemote = Array.from({ length: COUNT }, (_, i) => `matrix ${tag} ${i}`);
    for (const body of toRemote) await sides.alice().sendText(sides.room(), body);
    let seen: string[] = [];
    await untilAsync(
      async () => {
        seen = await sides.seenRemote();
        return seen.includes(toRemote.at(-1) ?? "");
      },
      `${toRemote.at(-1)} on ${sides.network}`,
    );
    const toMatrix = Array.from({ length: COUNT }, (_, i) => `${sides.network.toLowerCase()} ${tag} ${i}`);
    for (const body of toMatrix) await sides.sayRemote(body);
    await until(() => fromGhost().includes(toMatrix.at(-1) ?? ""), `${toMatrix.at(-1)} on Matrix`, WAIT_MS);
    tally(t, `Matrix → ${sides.network} ${label}`, toRemote, await sides.seenRemote());
    tally(t, `${sides.network} → Matrix ${label}`, toMatrix, fromGhost());
  }

  test(`messages cross both ways: counted for loss, repeats and order`, async (t) => {
    await bothWays(t, "at first");
  });

  test(`after a restart of the bridge, messages cross both ways: counted for loss, repeats and order`, async (t) => {
    await sides.stack().restartBridge();
    await bothWays(t, "after a bridge restart");
  });

  test(`after a restart of the homeserver, messages cross both ways: counted for loss, repeats and order`, async (t) => {
    const { homeserver } = sides.stack();
    await homeserver.stop();
    await homeserver.start();
    await bothWays(t, `after a ${homeserver.software} restart`);
  });
}

async function untilAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
