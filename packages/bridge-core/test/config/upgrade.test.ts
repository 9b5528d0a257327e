import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ConfigError, parseConfigWithWarnings } from "../../src/config/load.ts";
import { CURRENT_CONFIG_VERSION, upgradeConfig, upgradeConfigText } from "../../src/config/upgrade.ts";

const OLD = readFileSync(new URL("./fixtures/config-v1-irc.yaml", import.meta.url), "utf8");

describe("config upgrades", () => {
  it("an old config still starts: the dropped IRC media_url is removed with a warning naming its line and what to do", () => {
    const { config, warnings } = parseConfigWithWarnings(OLD, "config.yaml", "/srv/bridge");
    assert.equal(config.network.config["media_url"], undefined);
    assert.deepEqual(config.network.config, { server: { host: "irc.example.net" } });
    assert.equal(warnings.length, 2);
    assert.match(
      warnings[0] ?? "",
      /^config\.yaml:18: network\.config\.media_url: no longer used .* media\.public_url/,
    );
    assert.match(warnings[1] ?? "", /^config\.yaml: config_version: .*version 1.*--upgrade-config/);
  });

  it("a renamed key is moved to its new place for a release, and the new place wins when both are set", () => {
    const changes = [
      { from: ["bridge", "old_name"], to: ["bridge", "gap_check_seconds"], since: 2, hint: "h" },
    ];
    const moved = upgradeConfig({ config_version: 2, bridge: { old_name: 5 } }, changes);
    assert.deepEqual(moved.value, { bridge: { gap_check_seconds: 5 } });
    assert.match(moved.warnings[0]?.message ?? "", /renamed to bridge\.gap_check_seconds/);
    const both = upgradeConfig({ config_version: 2, bridge: { old_name: 5, gap_check_seconds: 9 } }, changes);
    assert.deepEqual(both.value, { bridge: { gap_check_seconds: 9 } });
    assert.match(both.warnings[0]?.message ?? "", /ignored/);
  });

  it("a config written for a newer bridge is refused with its line", () => {
    assert.throws(
      () =>
        parseConfigWithWarnings(`config_version: ${CURRENT_CONFIG_VERSION + 1}\n${OLD}`, "config.yaml", "/x"),
      (e: unknown) => e instanceof ConfigError && /config\.yaml:1: .*newer than this bridge/.test(e.message),
    );
  });

  it("--upgrade-config rewrites the file: comments kept, the old key gone, config_version set, then no warnings", () => {
    const { text, changed } = upgradeConfigText(OLD);
    assert.equal(changed.length, 2);
    assert.match(text, /^# A config as written before config_version existed/);
    assert.match(text, /config_version: 2/);
    assert.doesNotMatch(text, /media_url:/);
    assert.deepEqual(parseConfigWithWarnings(text, "config.yaml", "/srv").warnings, []);
    assert.deepEqual(upgradeConfigText(text).changed, []);
  });
});
