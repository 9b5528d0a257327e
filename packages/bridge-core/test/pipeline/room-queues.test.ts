import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RemoteRoomId, type RoomId, remoteRoomId } from "../../src/ids.ts";
import { KeyedQueue } from "../../src/pipeline/keyed-queue.ts";
import { RoomQueues } from "../../src/pipeline/room-queues.ts";

const ROOM = "!room:example.org" as RoomId;
const LOBBY = remoteRoomId("lobby");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Finds the room after `ms`, as a portal being made would. */
const slowFind = (ms: number) => async () => {
  await sleep(ms);
  return { roomId: ROOM };
};

describe("RoomQueues", () => {
  it("runs a remote event's work in its Matrix room's queue, after the room's Matrix events queued before it", async () => {
    const queues = new RoomQueues(new KeyedQueue());
    const log: string[] = [];
    const matrix = queues.room(ROOM, async () => {
      await sleep(30);
      log.push("matrix");
    });
    await queues.remote(LOBBY, slowFind(0), async () => {
      log.push("remote");
    });
    await matrix;
    assert.deepEqual(log, ["matrix", "remote"]);
  });

  it("keeps a remote room's events in the order they came, however long finding the room takes", async () => {
    const queues = new RoomQueues(new KeyedQueue());
    const log: string[] = [];
    const first = queues.remote(LOBBY, slowFind(30), async () => {
      log.push("first");
    });
    const second = queues.remote(LOBBY, slowFind(0), async () => {
      log.push("second");
    });
    await Promise.all([first, second]);
    assert.deepEqual(log, ["first", "second"]);
  });

  it("ends the link turn once the work is queued, so room work that needs the link turn does not wait for itself", async () => {
    const queues = new RoomQueues(new KeyedQueue());
    const log: string[] = [];
    // A Matrix event holds the room's turn and needs the remote room's link turn (pausing an encrypted room).
    const matrix = queues.room(ROOM, async () => {
      await sleep(10);
      await queues.link(LOBBY, async () => {
        log.push("link changed");
      });
    });
    const remote = queues.remote(LOBBY, slowFind(0), async () => {
      log.push("remote");
    });
    await Promise.all([matrix, remote]);
    assert.deepEqual(log, ["link changed", "remote"]);
  });

  it("runs nothing when there is no room to find", async () => {
    const queues = new RoomQueues(new KeyedQueue());
    let ran = false;
    await queues.remote(
      "nowhere" as RemoteRoomId,
      async () => null,
      async () => {
        ran = true;
      },
    );
    assert.equal(ran, false);
  });
});
