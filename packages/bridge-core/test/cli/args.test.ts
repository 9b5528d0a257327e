import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliUsageError, parseCliArgs } from "../../src/cli/args.ts";

function usageError(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseCliArgs(argv),
    (e: unknown) => {
      assert.ok(e instanceof CliUsageError);
      assert.match(e.message, message);
      assert.ok(e.message.includes(e.usage), "the message ends with the usage text");
      assert.match(e.usage, /^Usage:/);
      return true;
    },
  );
}

describe("parseCliArgs", () => {
  it("runs with the default files", () => {
    assert.deepEqual(parseCliArgs([]), {
      kind: "run",
      configPath: "config.yaml",
      registrationPath: "registration.yaml",
    });
  });

  it("runs with given files and port, short and long", () => {
    const expected = { kind: "run", configPath: "/etc/b.yaml", registrationPath: "reg.yaml", port: 8090 };
    assert.deepEqual(parseCliArgs(["-c", "/etc/b.yaml", "-f", "reg.yaml", "-p", "8090"]), expected);
    assert.deepEqual(
      parseCliArgs(["--config=/etc/b.yaml", "--file", "reg.yaml", "--port", "8090"]),
      expected,
    );
  });

  it("generates a registration with -r and -u", () => {
    assert.deepEqual(parseCliArgs(["-r", "-u", "http://localhost:29300"]), {
      kind: "generate",
      configPath: "config.yaml",
      registrationPath: "registration.yaml",
      url: "http://localhost:29300",
    });
    assert.deepEqual(
      parseCliArgs([
        "--generate-registration",
        "--url",
        "https://bridge.internal",
        "-c",
        "c.yaml",
        "-f",
        "r.yaml",
      ]),
      { kind: "generate", configPath: "c.yaml", registrationPath: "r.yaml", url: "https://bridge.internal" },
    );
  });

  it("shows help, whatever else is given", () => {
    for (const argv of [["-h"], ["--help"], ["-r", "-h"]]) {
      const result = parseCliArgs(argv);
      assert.equal(result.kind, "help");
      assert.ok(result.kind === "help" && result.text.includes("--generate-registration"));
    }
    const named = parseCliArgs(["-h"], "bridge-irc");
    assert.ok(named.kind === "help" && named.text.includes("bridge-irc -r -u URL"));
  });

  it("rejects unknown flags and stray arguments", () => {
    usageError(["--conifg", "x.yaml"], /--conifg/);
    usageError(["-x"], /-x/);
    usageError(["config.yaml"], /config\.yaml/);
  });

  it("requires -u with -r, and a usable URL", () => {
    usageError(["-r"], /needs -u\/--url/);
    usageError(["-r", "-u", "localhost:29300"], /http:\/\/ or https:\/\/ URL, got "localhost:29300"/);
    usageError(["-r", "-u", "ftp://bridge"], /http:\/\/ or https:\/\/ URL/);
    usageError(["-r", "-u"], /argument missing|-u/);
  });

  it("rejects flags that do nothing in the chosen mode", () => {
    usageError(["-r", "-u", "http://x", "-p", "1"], /-p\/--port is for running the bridge/);
    usageError(["-u", "http://x"], /only used with -r/);
  });

  it("rejects bad ports", () => {
    for (const port of ["0", "65536", "abc", "80.5", "-1", "", "0x50", "123456"]) {
      usageError(["-p", port], /port|argument/);
    }
    assert.deepEqual(parseCliArgs(["-p", "65535"]), {
      kind: "run",
      configPath: "config.yaml",
      registrationPath: "registration.yaml",
      port: 65535,
    });
  });

  it("rejects empty paths", () => {
    usageError(["-c", ""], /-c\/--config needs a path/);
    usageError(["-f", ""], /-f\/--file needs a path/);
  });
});
