import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AppServiceRegistration } from "matrix-appservice";
import { parse, stringify } from "yaml";
import {
  generateDoublePuppetRegistration,
  generateRegistration,
  loadRegistration,
  type Registration,
  RegistrationError,
  unanchoredNamespaces,
  writeRegistration,
} from "../../src/registration/registration.ts";
import { fillTemplate } from "../../src/templates.ts";

const dir = mkdtempSync(join(tmpdir(), "registration-test-"));
after(() => rmSync(dir, { recursive: true }));
let files = 0;
const tempPath = () => join(dir, `registration-${++files}.yaml`);

const generate = () =>
  generateRegistration({
    id: "testnet",
    url: "http://127.0.0.1:29300",
    senderLocalpart: "testnetbot",
    domain: "example.org",
    ghostTemplates: ["irc_{id}"],
    aliasTemplates: ["irc_{id}"],
    protocols: ["irc"],
  });

// Synapse's test: Python's re.match, which anchors the start only. Nothing is added around the regex, so an
// unanchored one shows up as claiming too much.
const matches = (list: { regex: string }[], id: string) =>
  list.some((n) => new RegExp(`^(?:${n.regex})`).test(id));

describe("generateRegistration", () => {
  it("fills every field, with fresh 64-character tokens", () => {
    const reg = generate();
    assert.match(reg.as_token, /^[0-9a-f]{64}$/);
    assert.match(reg.hs_token, /^[0-9a-f]{64}$/);
    assert.notEqual(reg.as_token, reg.hs_token);
    assert.notEqual(generate().as_token, reg.as_token);
    assert.deepEqual(
      { ...reg, as_token: "", hs_token: "" },
      {
        id: "testnet",
        url: "http://127.0.0.1:29300",
        as_token: "",
        hs_token: "",
        sender_localpart: "testnetbot",
        namespaces: {
          users: [
            { exclusive: true, regex: String.raw`^@irc_[^:]+:example\.org$` },
            { exclusive: true, regex: String.raw`^@testnetbot:example\.org$` },
          ],
          aliases: [{ exclusive: true, regex: String.raw`^#irc_[^:]+:example\.org$` }],
          rooms: [],
        },
        rate_limited: false,
        protocols: ["irc"],
        receive_ephemeral: true,
        "de.sorunome.msc2409.push_ephemeral": true,
      },
    );
  });

  it("claims the ghosts and the bot, and nobody else", () => {
    const { users, aliases } = generate().namespaces;
    assert.ok(matches(users, `@${fillTemplate("irc_{id}", "Some Nick")}:example.org`));
    assert.ok(matches(users, "@testnetbot:example.org"));
    assert.ok(!matches(users, "@alice:example.org"));
    assert.ok(!matches(users, "@irc_alice:example.net"));
    assert.ok(!matches(users, "@testnetbotx:example.org"));
    assert.ok(!matches(users, "@irc_x:example.org.evil.net"));
    assert.ok(!matches(users, "@testnetbot:example.org.evil.net"));
    assert.ok(!matches(aliases, "#irc_x:example.org.evil.net"));
    assert.deepEqual(unanchoredNamespaces(generate()), []);
    assert.ok(matches(aliases, "#irc_=23channel:example.org"));
    assert.ok(!matches(aliases, "#general:example.org"));
  });
});

describe("generateDoublePuppetRegistration", () => {
  it("claims every local user without exclusivity and has no url", () => {
    const reg = generateDoublePuppetRegistration({ id: "doublepuppet", domain: "example.org", url: null });
    assert.equal(reg.url, null);
    assert.match(reg.as_token, /^[0-9a-f]{64}$/);
    assert.match(reg.hs_token, /^[0-9a-f]{64}$/);
    assert.deepEqual(reg.namespaces, {
      users: [{ exclusive: false, regex: String.raw`^@[^:]+:example\.org$` }],
      aliases: [],
      rooms: [],
    });
    assert.ok(matches(reg.namespaces.users, "@alice:example.org"));
    assert.ok(!matches(reg.namespaces.users, "@alice:example.net"));
    assert.ok(!matches(reg.namespaces.users, "@alice:example.org.evil.net"));
    assert.equal(reg.rate_limited, false);
    const path = tempPath();
    writeRegistration(path, reg);
    assert.deepEqual(loadRegistration(path), reg);
  });
});

describe("writeRegistration and loadRegistration", () => {
  it("round-trip, and the file is readable by its owner only", () => {
    const reg = generate();
    const path = tempPath();
    writeRegistration(path, reg);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(loadRegistration(path), reg);
  });

  it("replaces an existing, more open file with a 0600 one", () => {
    const path = tempPath();
    writeFileSync(path, "old", { mode: 0o644 });
    writeRegistration(path, generate());
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("fills in what optional fields mean when absent", () => {
    const path = tempPath();
    writeFileSync(
      path,
      "id: x\nurl:\nas_token: a\nhs_token: h\nsender_localpart: bot\nnamespaces: {}\nx-extension: true\n",
    );
    assert.deepEqual(loadRegistration(path), {
      id: "x",
      url: null,
      as_token: "a",
      hs_token: "h",
      sender_localpart: "bot",
      namespaces: { users: [], aliases: [], rooms: [] },
      rate_limited: true,
      protocols: [],
      receive_ephemeral: false,
      "de.sorunome.msc2409.push_ephemeral": false,
    });
  });
});

describe("registration errors", () => {
  /** Writes `reg` with `edit` applied and returns the error loading it gives. */
  function loadError(edit: (reg: Record<string, unknown>) => void): RegistrationError {
    const reg: Record<string, unknown> = { ...generate() };
    edit(reg);
    const path = tempPath();
    writeFileSync(path, stringify(reg));
    try {
      loadRegistration(path);
    } catch (e) {
      assert.ok(e instanceof RegistrationError, String(e));
      for (const token of [reg["as_token"], reg["hs_token"]]) {
        if (typeof token === "string" && token !== "") assert.ok(!e.message.includes(token), e.message);
      }
      return e;
    }
    assert.fail("the registration was accepted");
  }

  const cases: [string, (reg: Record<string, unknown>) => void, string][] = [
    ["id", (r) => (r["id"] = ""), "must be a non-empty string"],
    ["url", (r) => (r["url"] = "ftp://example.org"), "must be an http:// or https:// URL, or null"],
    ["as_token", (r) => (r["as_token"] = 5), "must be a non-empty string"],
    ["hs_token", (r) => (r["hs_token"] = ""), "must be a non-empty string"],
    ["hs_token", (r) => delete r["hs_token"], "missing required key"],
    ["sender_localpart", (r) => (r["sender_localpart"] = "bad bot"), "must be a user id localpart"],
    ["namespaces", (r) => (r["namespaces"] = []), "must be a mapping with users, aliases and rooms"],
    ["rate_limited", (r) => (r["rate_limited"] = "no"), "must be true or false"],
    ["protocols", (r) => (r["protocols"] = "irc"), "must be a list of strings"],
    ["protocols[0]", (r) => (r["protocols"] = [1]), "must be a string"],
    ["receive_ephemeral", (r) => (r["receive_ephemeral"] = "yes"), "must be true or false"],
    [
      `["de.sorunome.msc2409.push_ephemeral"]`,
      (r) => (r["de.sorunome.msc2409.push_ephemeral"] = 1),
      "must be true or false",
    ],
  ];
  for (const [field, edit, message] of cases) {
    it(`names ${field}`, () => {
      const e = loadError(edit);
      assert.equal(e.problems.length, 1, e.message);
      assert.equal(e.problems[0]?.path, field);
      assert.equal(e.problems[0]?.message, message);
    });
  }

  it("names a bad namespace entry, with its line", () => {
    const e = loadError((r) => {
      r["namespaces"] = { users: [{ exclusive: true, regex: "@irc_(:example.org" }, { regex: "x" }] };
    });
    assert.deepEqual(
      e.problems.map((p) => p.path),
      ["namespaces.users[0].regex", "namespaces.users[1].exclusive"],
    );
    const lines = readFileSync(join(dir, `registration-${files}.yaml`), "utf8").split("\n");
    assert.match(lines[(e.problems[0]?.line ?? 0) - 1] ?? "", /regex: "@irc_\(/);
  });

  it("prints the file name and line, but never a token", () => {
    const path = tempPath();
    writeFileSync(
      path,
      "id: testnet\nas_token: secret-as-token\nhs_token: ''\nurl: null\nsender_localpart: bot\nnamespaces: {}\n",
    );
    assert.throws(() => loadRegistration(path), {
      name: "RegistrationError",
      message: `${path}:3: hs_token: must be a non-empty string`,
    });
    writeFileSync(path, "id: testnet\nas_token: secret-as-token: x\n");
    assert.throws(
      () => loadRegistration(path),
      (e: Error) => {
        assert.match(e.message, new RegExp(`^${path}:2: invalid YAML`));
        assert.ok(!e.message.includes("secret-as-token"));
        return true;
      },
    );
  });
});

describe("compatibility with matrix-appservice", () => {
  it("reads our file with the same values", () => {
    const reg = generate();
    const path = tempPath();
    writeRegistration(path, reg);
    const theirs = AppServiceRegistration.fromObject(parse(readFileSync(path, "utf8")));
    assert.equal(theirs.getId(), reg.id);
    assert.equal(theirs.getAppServiceUrl(), reg.url);
    assert.equal(theirs.getAppServiceToken(), reg.as_token);
    assert.equal(theirs.getHomeserverToken(), reg.hs_token);
    assert.equal(theirs.getSenderLocalpart(), reg.sender_localpart);
    assert.deepEqual(theirs.getProtocols(), reg.protocols);
    assert.equal(theirs.isRateLimited(), false);
    assert.equal(theirs.pushEphemeralEnabled(), true);
    const namespaces = theirs.getOutput().namespaces;
    assert.deepEqual(namespaces?.users, reg.namespaces.users);
    assert.deepEqual(namespaces?.aliases, reg.namespaces.aliases);
    // An empty list is dropped on their side.
    assert.deepEqual(namespaces?.rooms ?? [], reg.namespaces.rooms);
    assert.ok(theirs.isUserMatch("@irc_alice:example.org", true));
    assert.ok(theirs.isAliasMatch("#irc_=23chan:example.org", true));
    assert.ok(!theirs.isUserMatch("@alice:example.org", false));
    assert.ok(!theirs.isUserMatch("@irc_alice:example.org.evil.net", true));
  });

  it("loads a registration matrix-appservice generated", () => {
    const theirs = new AppServiceRegistration("http://localhost:9000");
    theirs.setId("theirs");
    theirs.setHomeserverToken(AppServiceRegistration.generateToken());
    theirs.setAppServiceToken(AppServiceRegistration.generateToken());
    theirs.setSenderLocalpart("theirbot");
    theirs.setRateLimited(false);
    theirs.setProtocols(["xmpp"]);
    theirs.pushEphemeral = true;
    theirs.addRegexPattern("users", "@xmpp_.*:example\\.org", true);
    theirs.addRegexPattern("rooms", "!.*:example\\.org", false);
    const path = tempPath();
    theirs.outputAsYaml(path);

    const ours: Registration = loadRegistration(path);
    assert.deepEqual(ours, {
      id: "theirs",
      url: "http://localhost:9000",
      as_token: theirs.getAppServiceToken(),
      hs_token: theirs.getHomeserverToken(),
      sender_localpart: "theirbot",
      namespaces: {
        users: [{ exclusive: true, regex: "@xmpp_.*:example\\.org" }],
        aliases: [],
        rooms: [{ exclusive: false, regex: "!.*:example\\.org" }],
      },
      rate_limited: false,
      protocols: ["xmpp"],
      receive_ephemeral: true,
      "de.sorunome.msc2409.push_ephemeral": true,
    });
    // Its exclusive users regex has no anchors: the start warns about it.
    assert.deepEqual(unanchoredNamespaces(ours), ["@xmpp_.*:example\\.org"]);
  });
});
