import assert from "node:assert/strict";
import { test } from "node:test";
import { isUserId } from "bridge-core";
import fc from "fast-check";
import { bareJid, escapeLocal, fullJid, parseJid, unescapeLocal } from "../src/jid.ts";
import { PuppetJids } from "../src/puppet-jids.ts";
import { mucOf, roomIdOf } from "../src/room-ids.ts";

test("JIDs split into local part, domain and resource", () => {
  assert.deepEqual(parseJid("room@muc.example.org/Nick with/slash"), {
    local: "room",
    domain: "muc.example.org",
    resource: "Nick with/slash",
  });
  assert.deepEqual(parseJid("Example.ORG"), { local: "", domain: "example.org", resource: "" });
  assert.equal(parseJid("@example.org"), null);
  assert.equal(parseJid("a@b/"), null);
  assert.equal(parseJid("a@exa mple.org"), null);
  const jid = parseJid("a@b.c/r")!;
  assert.equal(bareJid(jid), "a@b.c");
  assert.equal(fullJid(jid), "a@b.c/r");
});

test("XEP-0106 escaping turns a Matrix user id into a local part and back", () => {
  assert.equal(escapeLocal("alice:example.org"), "alice\\3aexample.org");
  assert.equal(escapeLocal(`a b"&'/:<>@\\c`), "a\\20b\\22\\26\\27\\2f\\3a\\3c\\3e\\40\\5cc");
  assert.equal(unescapeLocal("alice\\3aexample.org"), "alice:example.org");
  assert.equal(unescapeLocal("alice\\3Aexample.org"), "alice:example.org", "hex digits in either case");
  assert.equal(unescapeLocal("alice\\zz"), null, "not an escape");
  assert.equal(unescapeLocal("alice:example.org"), null, "a raw forbidden character");
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (text) => unescapeLocal(escapeLocal(text)) === text),
  );
});

test("every Matrix user with a lower-case id has a puppet JID that leads back to them", () => {
  const puppets = new PuppetJids("matrix.example.org");
  const userId = "@alice/bob:example.org:8448";
  assert.ok(isUserId(userId));
  const bare = puppets.bareOf(userId);
  assert.equal(bare, "alice\\2fbob\\3aexample.org\\3a8448@matrix.example.org");
  assert.equal(puppets.userOf(parseJid(`${bare}/matrix`)!), userId);
  assert.equal(puppets.bareOf("@Alice:example.org" as never), null, "capitals would be folded by the server");
  assert.equal(puppets.userOf(parseJid("alice\\3aexample.org@elsewhere.org")!), null, "another domain");
  assert.equal(puppets.userOf(parseJid("matrix.example.org")!), null, "the domain itself");
  assert.equal(puppets.userOf(parseJid("no-colon@matrix.example.org")!), null, "not a user id");
});

test("a MUC's remote room id is <room>_<muc domain>, split at the last underscore", () => {
  assert.deepEqual(mucOf("my_room_muc.example.org"), {
    local: "my_room",
    domain: "muc.example.org",
    resource: "",
  });
  assert.equal(
    roomIdOf({ local: "my_room", domain: "muc.example.org", resource: "" }),
    "my_room_muc.example.org",
  );
  assert.equal(mucOf("room@muc.example.org"), null);
  assert.equal(mucOf("Room_muc.example.org"), null, "only the folded spelling is an id");
  assert.equal(mucOf("_muc.example.org"), null);
  assert.equal(mucOf("room_"), null);
  assert.equal(mucOf("ro/om_muc.example.org"), null);
  assert.equal(mucOf("room_muc..org"), null);
});
