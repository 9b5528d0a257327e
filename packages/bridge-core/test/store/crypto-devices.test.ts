import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseUserId } from "../../src/ids.ts";
import { LevelStore } from "../../src/store/level-store.ts";

describe("encryption devices in the level store", () => {
  it("keeps each user's device id and snapshot bytes across reopen, and lists the users", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-crypto-devices-"));
    const open = () => LevelStore.open({ path: join(dir, "db"), sync: false, keyFile: join(dir, "key") });
    const bot = parseUserId("@bot:example.org");
    const ghost = parseUserId("@ghost_dave:example.org");
    try {
      let store = await open();
      assert.equal(await store.getCryptoDevice(bot), null);
      await store.putCryptoDevice(bot, { deviceId: "BOTDEVICE" });
      await store.putCryptoDevice(ghost, {
        deviceId: "GHOSTDEV",
        snapshot: new Uint8Array([0, 1, 254, 255]),
      });
      await store.close();
      store = await open();
      assert.deepEqual(await store.getCryptoDevice(bot), { deviceId: "BOTDEVICE" });
      const saved = await store.getCryptoDevice(ghost);
      assert.equal(saved?.deviceId, "GHOSTDEV");
      assert.deepEqual([...(saved?.snapshot ?? [])], [0, 1, 254, 255]);
      assert.deepEqual((await store.listCryptoDevices()).sort(), [bot, ghost]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
