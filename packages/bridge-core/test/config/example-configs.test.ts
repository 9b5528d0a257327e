// Each network's example settings (config.example.yaml beside its package.json) pass that plugin's own validation,
// and what `matrix-bridge -e` writes from them passes the core's: the examples cannot drift from the code.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { offlineNetworkContext } from "../../src/bridge/network-context.ts";
import { exampleConfig, packageDirOf } from "../../src/cli/example-config.ts";
import { parseConfig } from "../../src/config/load.ts";
import { parseYaml } from "../../src/config/located.ts";
import { Logger } from "../../src/log.ts";
import type { NetworkFactory } from "../../src/network.ts";

const NETWORKS = ["bridge-irc", "bridge-xmpp", "bridge-telegram", "bridge-discord"] as const;

describe("example configs", () => {
  for (const network of NETWORKS) {
    it(`${network}: its config.example.yaml passes the plugin's validation`, async () => {
      const text = readFileSync(join(packageDirOf(network), "config.example.yaml"), "utf8");
      const yaml = parseYaml(text);
      assert.ok(yaml.ok);
      const factory = ((await import(network)) as { default: NetworkFactory }).default;
      const context = offlineNetworkContext(
        yaml.value as Record<string, unknown>,
        Logger.create(),
        "in this test",
      );
      // The plugin checks its settings when it is made; an unknown or misspelt key throws.
      assert.doesNotThrow(() => factory(context));
    });

    it(`${network}: -e writes a config the core accepts, with the plugin's settings under network.config`, () => {
      const config = parseConfig(exampleConfig(network), "config.yaml", "/srv/bridge");
      assert.equal(config.network.module, network);
      assert.ok(Object.keys(config.network.config).length > 0);
    });
  }
});
