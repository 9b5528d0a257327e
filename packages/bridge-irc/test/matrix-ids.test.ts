import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeLocalpart, unescapeLocalpart } from "bridge-core";
import { ircLower } from "../src/formatting/mentions.ts";
import { portalAlias, remoteIdOfGhost } from "../src/matrix-ids.ts";

describe("ghost user ids", () => {
  it("read back the nick the core escaped into the localpart", () => {
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_carol:example.org"), "carol");
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_dave__x:example.org"), "dave_x");
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_alice=7bm=7d:example.org"), "alice{m}");
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc__dave:example.org"), "Dave");
    assert.equal(remoteIdOfGhost("i.{id}_irc", "@i.carol_irc:example.org"), "carol");
    assert.equal(remoteIdOfGhost("irc_libera.{id}", "@irc_libera.carol:example.org"), "carol");
  });

  it("are only the template's, and only spellings the core makes", () => {
    assert.equal(remoteIdOfGhost("irc_{id}", "@alice:example.org"), null);
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_:example.org"), null);
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_=61:example.org"), null, "=61 is a, which stays as it is");
    assert.equal(remoteIdOfGhost("irc_{id}", "@irc_a_:example.org"), null);
    assert.equal(remoteIdOfGhost("irc_{id}", "not a user id"), null);
  });

  it("read back every nick the way the core writes it", () => {
    for (const nick of ["carol", "Dave", "a_b", "[m]", "x|y^z", "Zoë"]) {
      assert.equal(unescapeLocalpart(escapeLocalpart(nick)), nick);
      assert.equal(remoteIdOfGhost("irc_{id}", `@irc_${escapeLocalpart(ircLower(nick))}:hs`), ircLower(nick));
    }
  });
});

describe("portal aliases", () => {
  it("keep the channel readable, escaping only what an alias cannot hold", () => {
    assert.equal(portalAlias("irc_{id}", "#lobby", "example.org"), "#irc_#lobby:example.org");
    assert.equal(portalAlias("irc_{id}", "#a:b=c", "example.org"), "#irc_#a=3ab=3dc:example.org");
    assert.equal(portalAlias("irc_{id}", "#café", "hs"), "#irc_#caf=c3=a9:hs");
  });
});
