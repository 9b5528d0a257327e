import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveriesInFlight } from "../../src/bridge/deliveries-in-flight.ts";
import type { RemoteRoomId } from "../../src/ids.ts";

const ROOM = "#room" as RemoteRoomId;

describe("DeliveriesInFlight", () => {
  it("says at once when nothing is on its way to the room", async () => {
    assert.equal(await new DeliveriesInFlight().settled(ROOM, 1_000), false);
  });

  it("waits for the room's deliveries to end, and no longer than told", async () => {
    const inFlight = new DeliveriesInFlight();
    let finish: () => void = () => {};
    let ended = false;
    const delivery = inFlight.track(ROOM, () => new Promise<void>((resolve) => (finish = resolve)));
    const waiting = inFlight.settled(ROOM, 5_000).then((had) => {
      ended = true;
      return had;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ended, false);
    finish();
    await delivery;
    assert.equal(await waiting, true);
    assert.equal(await inFlight.settled(ROOM, 1_000), false, "forgotten once ended");

    const stuck = inFlight.track(ROOM, () => new Promise<void>(() => {}));
    const started = Date.now();
    assert.equal(await inFlight.settled(ROOM, 50), true);
    assert.ok(Date.now() - started < 1_000);
    void stuck;
  });

  it("counts a failed delivery as ended, and passes its failure on", async () => {
    const inFlight = new DeliveriesInFlight();
    await assert.rejects(
      inFlight.track(ROOM, async () => Promise.reject(new Error("refused"))),
      /refused/,
    );
    assert.equal(await inFlight.settled(ROOM, 1_000), false);
  });
});
