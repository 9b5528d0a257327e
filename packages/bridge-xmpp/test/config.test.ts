import assert from "node:assert/strict";
import { test } from "node:test";
import { parseXmppConfig } from "../src/config.ts";
import createXmppNetwork from "../src/index.ts";
import { networkContext } from "./network-context.ts";

test("settings get their defaults, and a mistake names its key", () => {
  const config = parseXmppConfig({ component: { domain: "matrix.example.org", secret: "s" } });
  assert.equal(config.component?.port, 5347);
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

test("a relay account replaces the component; one of the two is needed, not both", () => {
  const relay = parseXmppConfig({ relay: { jid: "bridge@example.org", password: "p" } });
  assert.equal(relay.relay?.jid, "bridge@example.org");
  assert.throws(() => parseXmppConfig({}), /either component .* or relay/);
  assert.throws(
    () =>
      parseXmppConfig({
        component: { domain: "m.org", secret: "s" },
        relay: { jid: "bridge@example.org", password: "p" },
      }),
    /either component .* or relay/,
  );
  assert.throws(() => parseXmppConfig({ relay: { jid: "example.org", password: "p" } }), /relay\.jid/);
  const network = createXmppNetwork(networkContext({ relay: { jid: "Bridge@Example.org", password: "p" } }));
  assert.equal(network.info.relayByDefault, true);
});

test("the module's default export makes the plugin from its context's settings, refusing bad ones", () => {
  const network = createXmppNetwork(
    networkContext({ component: { domain: "matrix.example.org", secret: "s" } }),
  );
  assert.equal(network.info.id, "xmpp");
  assert.equal(network.info.aliasTemplate, "xmpp_{id}");
  assert.equal(network.info.ghostTemplate, "xmpp_{id}");
  assert.throws(
    () => createXmppNetwork(networkContext({ component: { domain: "m.org" } })),
    /component\.secret/,
  );
});
