import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeAliasPart, Naming, unescapeAliasPart } from "../../src/bridge/naming.ts";
import { parseRoomAlias, parseUserId, remoteRoomId, remoteUserId } from "../../src/ids.ts";

const naming = new Naming({
  domain: "example.org",
  botLocalpart: "testnetbot",
  ghostTemplate: "testnet_{id}",
  aliasTemplate: "testnet_{id}",
});

describe("ghost user ids", () => {
  it("escapes remote ids into the localpart alphabet and reads them back", () => {
    const cases: [string, string][] = [
      ["alice", "@testnet_alice:example.org"],
      ["Alice", "@testnet__alice:example.org"],
      ["under_score", "@testnet_under__score:example.org"],
      ["John Smith", "@testnet__john=20_smith:example.org"],
      ["Zoë", "@testnet__zo=c3=ab:example.org"],
      ["日本", "@testnet_=e6=97=a5=e6=9c=ac:example.org"],
      ["a:b@c", "@testnet_a=3ab=40c:example.org"],
      ["😀", "@testnet_=f0=9f=98=80:example.org"],
    ];
    for (const [remote, userId] of cases) {
      const ghost = naming.ghostUserId(remoteUserId(remote));
      assert.equal(ghost, userId, remote);
      assert.equal(naming.remoteUserOf(ghost), remote, remote);
    }
  });

  it("is not fooled by users on other servers or outside the template", () => {
    const notGhosts = [
      "@testnet_alice:other.org",
      "@testnet_alice:example.org.evil",
      "@alice:example.org",
      "@testnet:example.org",
      "@testnet_:example.org",
      "@testnetbot:example.org",
      "@xtestnet_alice:example.org",
      // Spellings the escaping never produces, which would give one remote user two ghosts.
      "@testnet_=61lice:example.org",
      "@testnet__:example.org",
      "@testnet_=C3=AB:example.org",
      "@testnet_=c3:example.org",
      "@testnet_ALICE:example.org",
    ];
    for (const userId of notGhosts) assert.equal(naming.remoteUserOf(parseUserId(userId)), null, userId);
  });

  it("honours a template with a suffix", () => {
    const suffixed = new Naming({
      domain: "example.org",
      botLocalpart: "bot",
      ghostTemplate: "tg.{id}.tg",
      aliasTemplate: "tg_{id}",
    });
    const ghost = suffixed.ghostUserId(remoteUserId("12345"));
    assert.equal(ghost, "@tg.12345.tg:example.org");
    assert.equal(suffixed.remoteUserOf(ghost), "12345");
    assert.equal(suffixed.remoteUserOf(parseUserId("@tg.12345:example.org")), null);
    assert.equal(suffixed.remoteUserOf(parseUserId("@tg..tg:example.org")), null);
  });
});

describe("isBridgeUser", () => {
  it("is true for the bot and the ghosts, and false for everyone else", () => {
    assert.equal(naming.botUserId, "@testnetbot:example.org");
    assert.equal(naming.isBridgeUser("@testnetbot:example.org"), true);
    assert.equal(naming.isBridgeUser(naming.ghostUserId(remoteUserId("Bob"))), true);
    assert.equal(naming.isBridgeUser("@alice:example.org"), false);
    assert.equal(naming.isBridgeUser("@testnetbot:other.org"), false);
    assert.equal(naming.isBridgeUser("@testnet__bob:other.org"), false);
  });
});

describe("portal aliases", () => {
  it("keeps a channel name readable", () => {
    assert.equal(naming.portalAlias(remoteRoomId("#chan")), "#testnet_#chan:example.org");
    assert.equal(naming.portalAliasLocalpart(remoteRoomId("#chan")), "testnet_#chan");
    assert.equal(
      naming.portalAlias(remoteRoomId("Chan-With.Dots_and!bang")),
      "#testnet_Chan-With.Dots_and!bang:example.org",
    );
  });

  it("escapes `:`, `=`, spaces, controls and non-ASCII, and reads every id back", () => {
    const cases: [string, string][] = [
      ["#chan", "#testnet_#chan:example.org"],
      ["room:server", "#testnet_room=3aserver:example.org"],
      ["a=b", "#testnet_a=3db:example.org"],
      ["two words", "#testnet_two=20words:example.org"],
      ["tab\there", "#testnet_tab=09here:example.org"],
      ["#café", "#testnet_#caf=c3=a9:example.org"],
      ["=3a", "#testnet_=3d3a:example.org"],
      ["!abc:matrix.org", "#testnet_!abc=3amatrix.org:example.org"],
    ];
    for (const [remote, alias] of cases) {
      const made = naming.portalAlias(remoteRoomId(remote));
      assert.equal(made, alias, remote);
      assert.equal(naming.remoteRoomOf(made), remote, remote);
    }
  });

  it("returns null for aliases outside the bridge's namespace", () => {
    const outside = [
      "#testnet_#chan:other.org",
      "#chan:example.org",
      "#testnet_:example.org",
      "#xtestnet_chan:example.org",
      // Not what escapeAliasPart writes: bad hex, uppercase hex, an escaped character that needs none, broken UTF-8.
      "#testnet_=zz:example.org",
      "#testnet_=3A:example.org",
      "#testnet_=61:example.org",
      "#testnet_=c3:example.org",
      "#testnet_=:example.org",
    ];
    for (const alias of outside) assert.equal(naming.remoteRoomOf(parseRoomAlias(alias)), null, alias);
  });

  it("honours an alias template with a suffix", () => {
    const suffixed = new Naming({
      domain: "example.org",
      botLocalpart: "bot",
      ghostTemplate: "x_{id}",
      aliasTemplate: "xmpp.{id}_xmpp",
    });
    const alias = suffixed.portalAlias(remoteRoomId("room@conference.example.com"));
    assert.equal(alias, "#xmpp.room@conference.example.com_xmpp:example.org");
    assert.equal(suffixed.remoteRoomOf(alias), "room@conference.example.com");
    assert.equal(suffixed.remoteRoomOf(parseRoomAlias("#xmpp._xmpp:example.org")), null);
    assert.equal(suffixed.remoteRoomOf(parseRoomAlias("#xmpp.room:example.org")), null);
  });
});

describe("escapeAliasPart / unescapeAliasPart", () => {
  it("are inverses over awkward strings", () => {
    for (const id of ["", "plain", "a:b=c d", "\u0000\u007f", "ß∂ƒ©", "🏳️‍🌈", "#+&!~"]) {
      assert.equal(unescapeAliasPart(escapeAliasPart(id)), id, JSON.stringify(id));
    }
  });

  it("never leaves a character the alias grammar refuses", () => {
    const escaped = escapeAliasPart("a b:c\u0000d\ne");
    assert.doesNotMatch(escaped, /[\s:\u0000]/);
  });
});
