import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseCliArgs } from "../../src/cli/args.ts";
import { parseConfig } from "../../src/config/load.ts";
import { Logger, prettySink } from "../../src/log.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const run = (...args: string[]) => execFileSync(process.execPath, [CLI, ...args], { encoding: "utf8" });

describe("operator flags", () => {
  it("--version, -e and --upgrade-config parse; --help shows all of them and the endpoints", () => {
    assert.deepEqual(parseCliArgs(["--version"]), { kind: "version" });
    assert.deepEqual(parseCliArgs(["-e", "-n", "bridge-xmpp", "-c", "x.yaml"]), {
      kind: "example-config",
      configPath: "x.yaml",
      network: "bridge-xmpp",
    });
    assert.deepEqual(parseCliArgs(["--upgrade-config"]), {
      kind: "upgrade-config",
      configPath: "config.yaml",
    });
    assert.throws(() => parseCliArgs(["-n", "bridge-irc"]), /only used with -e/);
    const help = run("--help");
    for (const flag of [
      "--version",
      "--generate-example-config",
      "--network",
      "--upgrade-config",
      "/ready",
      "/bridge_state",
    ])
      assert.ok(help.includes(flag), flag);
    assert.match(run("--version"), /^matrix-bridge \d+\.\d+\.\d+\n$/);
  });

  it("-e writes a commented example for the network that the core accepts, and never over an existing file", () => {
    const path = join(mkdtempSync(join(tmpdir(), "example-")), "config.yaml");
    run("-e", "-n", "bridge-telegram", "-c", path);
    const text = readFileSync(path, "utf8");
    assert.match(text, /^# Example bridge config/);
    assert.match(text, / {4}bot_token: /);
    assert.equal(parseConfig(text, path, "/srv").network.module, "bridge-telegram");
    assert.throws(() => run("-e", "-c", path), /exists already/);
  });

  it("pretty lines for people, from the scrubbed record", () => {
    const out: string[] = [];
    const logger = Logger.create({ sink: prettySink({ write: (t: string) => out.push(t) }, false) });
    logger.addSecret("hunter2-secret");
    logger
      .child({ component: "network" })
      .warn("lost it", { host: "irc.example", note: "pw hunter2-secret" });
    assert.match(
      out[0] ?? "",
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[network\] lost it host=irc\.example note="pw \[redacted\]"\n$/,
    );
  });
});
