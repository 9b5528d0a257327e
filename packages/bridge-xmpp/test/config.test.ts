import assert from "node:assert/strict";
import { test } from "node:test";
import { parseXmppConfig } from "../src/config.ts";
import createXmppNetwork from "../src/index.ts";

test("settings get their defaults, and a mistake names its key", () => {
  const config = parseXmppConfig({ component: { domain: "matrix.example.org", secret: "s" } });
  assert.equal(config.component.port, 5347);
  assert.equal(config.bot_nick, "MatrixBridge");
  assert.throws(
    () => parseXmppConfig({ component: { domain: "Matrix.Example.org", secret: "s" } }),
    /component\.domain/,
  );
  assert.throws(() => parseXmppConfig({ component: { domain: "m.org" } }), /component\.secret/);
  assert.throws(
    () => parseXmppConfig({ component: { domain: "m.org", secret: "s" }, extra: 1 }),
    /extra|unrecognized/i,
  );
});

test("the module's default export builds the plugin from its settings", () => {
  const network = createXmppNetwork({ config: { component: { domain: "matrix.example.org", secret: "s" } } });
  assert.equal(network.info.id, "xmpp");
  assert.equal(network.info.aliasTemplate, "xmpp_{id}");
  assert.equal(network.info.ghostTemplate, "xmpp_{id}");
});
