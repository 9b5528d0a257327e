// Two InspIRCd servers linked as one network, the hub with Atheme services and the leaf connecting to it by itself
// (again after a split), so that a test can split the network for real by stopping the leaf.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../free-port.ts";
import type { SuiteRunDir } from "../run-dir.ts";
import { type InspircdOptions, InspircdServer } from "./inspircd.ts";
import { linkBlock } from "./server-probes.ts";

export const LEAF_NAME = "leaf.test";

/** Starts both, stopped when the suite ends; `hubOptions` adds to the hub's configuration (services are always on). */
export async function startLinkedInspircd(
  runDir: SuiteRunDir,
  hubOptions: Pick<InspircdOptions, "extraModules" | "defaultModes"> = {},
): Promise<{ hub: InspircdServer; leaf: InspircdServer }> {
  const hubLinkPort = await freePort();
  const leafLinkPort = await freePort();
  const linkPassword = randomBytes(12).toString("hex");
  const hub = await InspircdServer.create({
    runDir: runDir.path,
    options: {
      ...hubOptions,
      services: true,
      extraConfig: [
        `<bind address="127.0.0.1" port="${hubLinkPort}" type="servers">`,
        linkBlock(LEAF_NAME, leafLinkPort, linkPassword),
      ].join("\n"),
    },
  });
  await hub.start();
  runDir.addTeardown((failed) => hub.destroy(failed));
  // Linked servers must load the same modules; the leaf copies the hub's, whatever they are.
  const modules = [...readFileSync(hub.configPath, "utf8").matchAll(/<module name="([^"]+)">/g)].map(
    (m) => m[1]!,
  );
  const leaf = await InspircdServer.create({
    runDir: join(runDir.path, "leaf"),
    options: {
      serverName: LEAF_NAME,
      modules,
      extraConfig: [
        `<bind address="127.0.0.1" port="${leafLinkPort}" type="servers">`,
        linkBlock(hub.name, hubLinkPort, linkPassword),
        `<autoconnect period="1" server="${hub.name}">`,
        `<uline server="${hub.services!.name}" silent="yes">`,
        `<sasl target="${hub.services!.name}" requiressl="no">`,
      ].join("\n"),
    },
  });
  await leaf.start();
  runDir.addTeardown((failed) => leaf.destroy(failed));
  return { hub, leaf };
}
