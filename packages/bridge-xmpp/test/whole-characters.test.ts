import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { decodeWholeCharacters } from "../src/whole-characters.ts";

/** Stands in for an xmpp.js connection: what its socket delivers goes to the parser as text. */
class FakeConnection extends EventEmitter {
  readonly written: string[] = [];
  parser = { write: (text: string) => this.written.push(text) };
  _onData(data: Buffer): void {
    this.parser.write(data.toString("utf8"));
  }
}

test("a character split between two chunks reaches the parser whole", () => {
  const bytes = Buffer.from("<body>grüß 🎉</body>");
  const unpatched = new FakeConnection();
  unpatched._onData(bytes.subarray(0, 9));
  unpatched._onData(bytes.subarray(9));
  assert.notEqual(unpatched.written.join(""), bytes.toString(), "the library alone corrupts it");

  const connection = new FakeConnection();
  decodeWholeCharacters(connection);
  for (let i = 0; i < bytes.length; i++) connection._onData(bytes.subarray(i, i + 1));
  assert.equal(connection.written.join(""), "<body>grüß 🎉</body>");
});

test("a new socket does not inherit the bytes of an unfinished character", () => {
  const connection = new FakeConnection();
  decodeWholeCharacters(connection);
  connection._onData(Buffer.from([0xc3]));
  connection.emit("connect");
  connection._onData(Buffer.from("ok"));
  assert.equal(connection.written.join(""), "ok");
});
