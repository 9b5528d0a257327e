import assert from "node:assert/strict";
import { describe, it } from "node:test";
import createIrcNetwork, { IrcNetwork, parseIrcConfig, parseMultiServerIrcConfig } from "../src/index.ts";
import { MultiServerIrcNetwork } from "../src/multi-server.ts";
import { fakeContext } from "./fake-context.ts";

describe("multi-server settings", () => {
  const server = (key: string) => ({ key, server: { host: `${key}.test` } });

  it("read each entry as the single-server settings plus a key", () => {
    const config = parseMultiServerIrcConfig({
      servers: [server("libera"), { ...server("oftc"), mode: "relay" }],
    });
    assert.deepEqual(
      config.servers.map((s) => [s.key, s.server.host, s.server.port, s.mode]),
      [
        ["libera", "libera.test", 6667, "puppets"],
        ["oftc", "oftc.test", 6667, "relay"],
      ],
    );
    const { key: _, ...single } = config.servers[0]!;
    assert.deepEqual(single, parseIrcConfig({ server: { host: "libera.test" } }));
  });

  it("refuse repeated, malformed or missing keys, and mixing the two forms", () => {
    assert.throws(
      () => parseMultiServerIrcConfig({ servers: [server("a"), server("a")] }),
      /servers\.1\.key: .*twice/,
    );
    assert.throws(() => parseMultiServerIrcConfig({ servers: [server("Libera")] }), /servers\.0\.key/);
    assert.throws(() => parseMultiServerIrcConfig({ servers: [server("a/b")] }), /servers\.0\.key/);
    assert.throws(
      () => parseMultiServerIrcConfig({ servers: [{ server: { host: "x" } }] }),
      /servers\.0\.key/,
    );
    assert.throws(() => parseMultiServerIrcConfig({ servers: [] }), /servers/);
    assert.throws(
      () => parseMultiServerIrcConfig({ servers: [server("a")], server: { host: "x" } }),
      /unrecognized key/i,
    );
  });

  it("make the factory build the composite for `servers` and the single network otherwise", () => {
    assert.ok(
      createIrcNetwork(fakeContext({ config: { servers: [server("a"), server("b")] } })) instanceof
        MultiServerIrcNetwork,
    );
    assert.ok(createIrcNetwork(fakeContext({ config: { server: { host: "x" } } })) instanceof IrcNetwork);
    assert.throws(
      () => createIrcNetwork(fakeContext({ config: { server: {} } })),
      /network\.config\.server\.host/,
    );
    const multi = createIrcNetwork(fakeContext({ config: { servers: [server("a"), server("b")] } }));
    assert.equal(multi.info.id, "irc");
    assert.deepEqual(
      multi.commands?.map((c) => c.usage?.split(" ")[0]),
      multi.commands?.map(() => "<server>"),
    );
  });
});
